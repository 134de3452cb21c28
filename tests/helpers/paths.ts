import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shared read-only data and models (`../shared` beside the repository). */
export const SHARED = resolve(ROOT, '..', 'shared');
export const SHARED_DATA = join(SHARED, 'data');

/** A fresh temporary directory and a function that deletes it. */
export function tempDir(prefix = 'galen-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
