import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // Ingest tests read the whole shared corpus; SQLite work is synchronous and CPU-bound.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
