// Issue 15.5: the audit log is rotated by size with a fixed number of old files kept, and a
// SIGHUP to `galen serve` reopens it (logrotate moves the file, then signals). A real server process.
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { startServe, type ServeProcess } from '../helpers/galen-serve.js';
import { tempDir } from '../helpers/paths.js';

const tmp = tempDir('galen-audit-rotation-');
const running: ServeProcess[] = [];
afterAll(async () => {
  for (const serve of running) await serve.stop();
  tmp.cleanup();
});

const LEAN = { GALEN_SEED: 'false', GALEN_WIKIPEDIA: 'false', GALEN_VECTORS: 'false', GALEN_RETRIEVAL_WORKERS: '0' };

interface AuditLine {
  requestId: string;
  path: string;
}

function lines(file: string): AuditLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditLine);
}

/** A `/v1` request, audited; returns its request id. */
async function request(serve: ServeProcess, n: number): Promise<string> {
  const res = await fetch(`${serve.url}/v1/retrieve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `gout ${n}`, k: 1 }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  return res.headers.get('x-request-id')!;
}

/** The audit line is written when the response closes: wait until `id` is in `file`. */
async function written(file: string, id: string): Promise<void> {
  for (let i = 0; i < 200 && !(existsSync(file) && readFileSync(file, 'utf8').includes(id)); i++)
    await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('audit log rotation', () => {
  it('rotates by size, keeps keepFiles old files (0600), and loses no line', async () => {
    const data = join(tmp.dir, 'size', 'data');
    const serve = await startServe(data, { ...LEAN, GALEN_AUDIT_MAX_BYTES: '2048', GALEN_AUDIT_KEEP_FILES: '2' });
    running.push(serve);
    const file = join(data, 'audit.log');
    const ids: string[] = [];
    for (let n = 0; n < 40; n++) {
      ids.push(await request(serve, n));
      await written(file, ids.at(-1)!);
    }
    const files = [file, `${file}.1`, `${file}.2`];
    for (const f of files) {
      expect(existsSync(f), f).toBe(true);
      expect(statSync(f).size).toBeLessThanOrEqual(2048);
      expect(statSync(f).mode & 0o777).toBe(0o600);
    }
    expect(existsSync(`${file}.3`)).toBe(false);
    // Oldest first across the kept files: the newest requests, in order, none split or lost.
    const kept = [...files].reverse().flatMap((f) => lines(f).map((l) => l.requestId));
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.length).toBeLessThan(ids.length);
    expect(kept).toEqual(ids.slice(ids.length - kept.length));
    expect(await serve.stop()).toBe(0);
  });

  it('reopens the file on SIGHUP after logrotate moved it, and keeps serving', async () => {
    const data = join(tmp.dir, 'hup', 'data');
    const serve = await startServe(data, { ...LEAN, GALEN_AUDIT_MAX_BYTES: '0' });
    running.push(serve);
    const file = join(data, 'audit.log');
    const before = await request(serve, 1);
    await written(file, before);
    renameSync(file, `${file}-20261203`);
    const moved = await request(serve, 2);
    await written(`${file}-20261203`, moved);
    // Until the signal the server writes on in the moved file (it holds it open).
    expect(existsSync(file)).toBe(false);

    serve.child.kill('SIGHUP');
    await serve.waitFor(/"msg":"audit log reopened"/);
    const after = await request(serve, 3);
    await written(file, after);
    expect(lines(file).map((l) => l.requestId)).toEqual([after]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(lines(`${file}-20261203`).map((l) => l.requestId)).toEqual([before, moved]);
    expect(serve.child.exitCode).toBeNull();
    expect(await serve.stop()).toBe(0);
  });

  it('validates and documents its settings', () => {
    const config = loadConfig({ env: {} });
    expect(config.security.audit).toMatchObject({ maxBytes: 64 * 2 ** 20, keepFiles: 5 });
    expect(loadConfig({ env: { GALEN_AUDIT_MAX_BYTES: '0', GALEN_AUDIT_KEEP_FILES: '0' } }).security.audit).toMatchObject({
      maxBytes: 0,
      keepFiles: 0,
    });
    expect(() => loadConfig({ env: { GALEN_AUDIT_MAX_BYTES: '100' } })).toThrow(/GALEN_AUDIT_MAX_BYTES.*at least 1024/);
    expect(() => loadConfig({ env: { GALEN_AUDIT_KEEP_FILES: '-1' } })).toThrow(/GALEN_AUDIT_KEEP_FILES/);
    expect(() => loadConfig({ env: { GALEN_AUDIT_MAX_BYTES: 'big' } })).toThrow(/GALEN_AUDIT_MAX_BYTES/);
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toMatch(/`GALEN_AUDIT_MAX_BYTES` \| `security\.audit\.maxBytes` \| `67108864`/);
    expect(readme).toMatch(/`GALEN_AUDIT_KEEP_FILES` \| `security\.audit\.keepFiles` \| `5`/);
  });
});
