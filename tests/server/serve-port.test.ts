import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('galen serve on a taken port', () => {
  it('says the port is in use and exits non-zero instead of hanging', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    const data = mkdtempSync(join(tmpdir(), 'galen-port-'));
    dirs.push(data);
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'galen.js'), '--data', data, 'serve', '--port', String(port)], {
        cwd: ROOT,
        env: {
          ...process.env,
          GALEN_FROM_SOURCE: '1',
          GALEN_SEED: 'false',
          GALEN_WIKIPEDIA: 'false',
          GALEN_VECTORS: 'false',
          GALEN_RETRIEVAL_WORKERS: '0',
        },
        encoding: 'utf8',
        // A hang (the old behaviour) is killed here and fails on `status`.
        timeout: 60_000,
      });
      expect(r.signal).toBeNull();
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`port ${port} is in use; set GALEN_PORT or --port`);
      expect(r.stderr).not.toMatch(/family|TypeError/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
