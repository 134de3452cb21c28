// Issue 15.4: what Galen writes (store, keys, Wikipedia cache, vector index, uploads, audit and
// feedback logs) is created owner-only, and a start on looser existing files says so. Real CLI
// runs and a real `galen serve`, both under the usual umask 022 (files would be 0644 otherwise).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../helpers/galen-serve.js';

const tmp = tempDir('galen-perms-');
const running: ServeProcess[] = [];
afterAll(async () => {
  for (const serve of running) await serve.stop();
  tmp.cleanup();
});

const CORPUS = join(ROOT, 'tests', 'security', 'fixtures', 'corpus.jsonl');
const QUIET = { GALEN_RETRIEVAL_WORKERS: '0' };

/** `galen <args>` under umask 022. */
function galenCli(args: string[]): string {
  const r = spawnSync('/bin/sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, join(ROOT, 'bin', 'galen.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, GALEN_FROM_SOURCE: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** Every path under `dir` (itself included) with its permission bits, relative names. */
function modes(dir: string): Map<string, { mode: number; directory: boolean }> {
  const out = new Map<string, { mode: number; directory: boolean }>();
  const visit = (path: string) => {
    const stat = statSync(path);
    out.set(relative(dir, path) || '.', { mode: stat.mode & 0o777, directory: stat.isDirectory() });
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return out;
}

function notPrivate(dir: string): string[] {
  return [...modes(dir)].filter(([, m]) => m.mode !== (m.directory ? 0o700 : 0o600)).map(([path, m]) => `${path} ${m.mode.toString(8)}`);
}

async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/api.php`;
}

function warnings(serve: ServeProcess): Array<{ path?: string; mode?: string; msg: string }> {
  return serve
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; path?: string; mode?: string; msg: string })
    .filter((l) => l.level === 40 && l.path !== undefined);
}

describe('file permissions', () => {
  it('a data directory made by the CLI and the server holds only owner-only files (0600) and folders (0700)', async () => {
    const data = join(tmp.dir, 'fresh', 'data');
    galenCli(['--data', data, 'ingest', CORPUS, '--source', 'sec', '--format', 'jsonl']);
    const key = /(galen_\S+)/.exec(galenCli(['--data', data, 'keys', 'create', '--role', 'admin', '--label', 'perm test']))![1]!;
    expect(notPrivate(data)).toEqual([]);

    const serve = await startServe(data, {
      ...QUIET,
      GALEN_SEED: 'false',
      GALEN_WIKIPEDIA_URL: await closedPortUrl(),
      GALEN_CDS_INSECURE: 'true',
    });
    running.push(serve);
    await serve.waitFor(/"msg":"vector index ready"/);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${serve.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const chat = await post('/v1/chat', { messages: [{ role: 'user', content: 'What foods make gout worse?' }] });
    expect(chat.status).toBe(200);
    const { id } = (await chat.json()) as { id: string };
    expect((await post('/v1/feedback', { answerId: id, rating: 'up' })).status).toBe(201);
    const cds = await post('/cds-services/galen-patient-view/feedback', {
      feedback: [{ card: 'c1', outcome: 'accepted', outcomeTimestamp: new Date().toISOString() }],
    });
    expect(cds.status).toBe(200);
    const upload = await post('/v1/knowledge/ingest?source=notes', readFileSync(CORPUS, 'utf8'), {
      'content-type': 'application/x-ndjson',
      authorization: `Bearer ${key}`,
    });
    expect(upload.status).toBe(202);
    const { job } = (await upload.json()) as { job: { id: string } };
    for (let status = ''; status !== 'succeeded'; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const view = (await (await fetch(`${serve.url}/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
        job: { status: string };
      };
      status = view.job.status;
      expect(status).toMatch(/queued|running|succeeded/);
    }

    const files = modes(data);
    for (const name of [
      'galen.sqlite',
      'galen.sqlite-wal',
      'galen.sqlite-shm',
      'access.sqlite',
      'wikipedia-cache.sqlite',
      'audit.log',
      'feedback.jsonl',
      'cds-feedback.jsonl',
      'vectors.hnsw',
      'vectors.labels',
      'vectors.meta.json',
      'lsa.model',
      'uploads',
    ])
      expect(files.has(name), name).toBe(true);
    expect([...files.keys()].some((p) => p.startsWith(join('uploads', 'notes', '')))).toBe(true);
    expect(notPrivate(data)).toEqual([]);
    expect(warnings(serve)).toEqual([]);
    expect(await serve.stop()).toBe(0);
    expect(notPrivate(data)).toEqual([]);
  });

  it('warns at start, once per path with its mode, about existing files and folders others can read', async () => {
    const data = join(tmp.dir, 'loose', 'data');
    mkdirSync(data, { recursive: true });
    chmodSync(data, 0o755);
    // An empty file is an empty SQLite database: the server migrates it and keeps its mode.
    writeFileSync(join(data, 'galen.sqlite'), '');
    chmodSync(join(data, 'galen.sqlite'), 0o644);
    writeFileSync(join(data, 'audit.log'), '');
    chmodSync(join(data, 'audit.log'), 0o640);
    const serve = await startServe(data, { ...QUIET, GALEN_SEED: 'false', GALEN_WIKIPEDIA: 'false', GALEN_VECTORS: 'false' });
    running.push(serve);
    const found = warnings(serve).map(({ path, mode }) => ({ path, mode }));
    expect(found).toEqual(
      expect.arrayContaining([
        { path: data, mode: '0755' },
        { path: join(data, 'galen.sqlite'), mode: '0644' },
        { path: join(data, 'audit.log'), mode: '0640' },
      ]),
    );
    // SQLite gives the -wal and -shm files the main file's mode: those are named too, nothing else.
    expect(found.map((f) => f.path).sort()).toEqual(
      [data, ...['galen.sqlite', 'galen.sqlite-shm', 'galen.sqlite-wal', 'audit.log'].map((n) => join(data, n))].sort(),
    );
    for (const line of warnings(serve)) expect(line.msg).toContain(line.path);
    expect(await serve.stop()).toBe(0);
  });
});
