import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { acquireIndexLock, readIndexLock, VECTOR_LOCK_FILE } from '../../retrieval/vector/index.js';
import { galen } from '../helpers/cli.js';
import { ROOT, tempDir } from '../helpers/paths.js';
import { MINI_CORPUS } from './chat-server.js';

// A real `galen serve` process and real CLI commands on one data directory: the server takes in a
// CLI ingest (searches, /readyz counts, vector index) without a restart, and a CLI command that
// needs the vector index while another process is syncing it waits for that process and says so,
// instead of silently building its own.
const tmp = tempDir('galen-store-changes-');
const dataDir = join(tmp.dir, 'data');
const env = { GALEN_WIKIPEDIA: 'false', GALEN_SEED: 'false', GALEN_MODEL: '', GALEN_RETRIEVAL_WORKERS: '1' };
let server: ChildProcess;
let url = '';
let log = '';

interface Readiness {
  status: string;
  chunks: number;
  vectors: { state: string; vectors: number; embedder: string | null };
}

async function readyz(): Promise<Readiness> {
  return (await (await fetch(`${url}/readyz`)).json()) as Readiness;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server log:\n${log.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  const store = KnowledgeStore.open({ dataDir });
  try {
    await ingest(store, { source: 'mini', paths: [MINI_CORPUS], format: 'jsonl', license: 'CC BY 4.0', attribution: 'Galen test corpus' });
  } finally {
    store.close();
  }
  server = spawn(process.execPath, [join(ROOT, 'bin', 'galen.js'), '--data', dataDir, 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, GALEN_FROM_SOURCE: '1', GALEN_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  url = await until('the server to listen', async () => /Galen listening on (http:\/\/[^\s:"]+:\d+)/.exec(log)?.[1]);
  await until('the vector index', async () => ((await readyz()).vectors.state === 'ready' ? true : undefined));
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  tmp.cleanup();
});

describe('a running server and CLI commands on the same data directory', () => {
  it('takes in a CLI ingest: searches find it, /readyz counts it, the vector index holds it', async () => {
    const before = await readyz();
    expect(before.vectors.vectors).toBe(before.chunks);
    const notes = join(tmp.dir, 'zorblax.jsonl');
    writeFileSync(
      notes,
      [1, 2, 3]
        .map((i) =>
          JSON.stringify({ id: `Z${i}`, title: `Zorblaxitis ${i}`, text: `Zorblaxitis note ${i}: rest and fluids help zorblaxitis.` }),
        )
        .join('\n'),
    );
    const r = galen(['--data', dataDir, 'ingest', notes, '--source', 'zorblax'], env);
    expect(r.status, r.stderr).toBe(0);
    const after = await until('the server to count the new chunks', async () => {
      const now = await readyz();
      return now.chunks === before.chunks + 3 && now.vectors.vectors === now.chunks ? now : undefined;
    });
    expect(after.vectors.state).toBe('ready');
    // The embedder the server searches with is the one whose vectors are on disk.
    const status = galen(['--data', dataDir, '--json', 'index', 'status'], env);
    expect((JSON.parse(status.stdout) as { index: { embedderId: string; count: number } }).index).toMatchObject({
      embedderId: after.vectors.embedder,
      count: after.chunks,
    });
    const search = await fetch(`${url}/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'zorblaxitis', k: 5 }),
    });
    expect(((await search.json()) as { hits: Array<{ source: string }> }).hits.map((h) => h.source)).toEqual([
      'zorblax',
      'zorblax',
      'zorblax',
    ]);
    expect(log).toMatch(/the store was changed by another process/);
    expect(readIndexLock(dataDir)).toBeNull();
  });

  it('makes galen ask wait for a process that is syncing the vector index, saying whom it waits for, then answer', async () => {
    const lock = await acquireIndexLock(dataDir, { holder: 'galen serve' });
    lock.progress(1200, 53058);
    let stderr = '';
    let stdout = '';
    const ask = spawn(process.execPath, [join(ROOT, 'bin', 'galen.js'), '--data', dataDir, 'ask', 'What is zorblaxitis?'], {
      cwd: ROOT,
      env: { ...process.env, GALEN_FROM_SOURCE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ask.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    ask.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => ask.once('exit', (code) => resolve(code)));
    try {
      await until('the ask to say what it waits for', async () => (/waiting for galen serve/.test(stderr) ? true : undefined), 60_000);
      expect(stderr).toMatch(
        new RegExp(
          `vectors: waiting for galen serve \\(pid ${process.pid}\\) to finish syncing the vector index: 1200 of 53058 chunks embedded`,
        ),
      );
      expect(ask.exitCode).toBeNull();
    } finally {
      lock.release();
    }
    expect(await exit).toBe(0);
    expect(stdout).toMatch(/[Zz]orblaxitis/);
    // It reused the index in step on disk: nothing was fitted or rebuilt.
    expect(stderr).not.toMatch(/Fitting|rebuil/i);
  });

  it('takes over a lock left by a process that died', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    const pid = dead.pid!;
    await new Promise((resolve) => dead.once('exit', resolve));
    writeFileSync(join(dataDir, VECTOR_LOCK_FILE), JSON.stringify({ pid, holder: 'galen ingest', startedAt: new Date().toISOString() }));
    expect(readIndexLock(dataDir)).toBeNull();
    const r = galen(['--data', dataDir, 'retrieve', 'zorblaxitis'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/waiting for/);
    expect(readIndexLock(dataDir)).toBeNull();
  });
});
