// Issue 15.6/15.7 at the process level: hostile uploads to POST /v1/knowledge/ingest of a real
// `galen serve` child process (bin/galen.js, TypeScript sources), written byte by byte with
// node:net: a form cut short, a wrong boundary, oversized bodies, a client gone silent, a client
// that aborts, and kill -9 in the middle of an upload and an ingest job. tests/server/upload-hardening
// covers the same requests in-process, where vitest (not Node's default `--unhandled-rejections=throw`)
// catches what escapes; here an escaped rejection ends the process, as it did in production
// (busboy's "Unexpected end of form"). After each attack the child must still run and serve
// (/healthz, /readyz, a real /v1/retrieve), have answered a 4xx `{error:{code,message}}` where an
// answer can still be sent, have logged no fault, and have removed its `uploads/.incoming/<uuid>/`.
// Requests Node's parser rejects mid-body (a client half-closing early, broken chunk framing) get
// that JSON too, not Node's bare 400 (server/http/client-error.ts).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { galenAsync } from '../helpers/cli.js';
import { startServe, type ServeProcess } from '../helpers/galen-serve.js';
import { ROOT, tempDir } from '../helpers/paths.js';

const tmp = tempDir('galen-serve-uploads-');
const dataDir = join(tmp.dir, 'data');
const incomingDir = join(dataDir, 'uploads', '.incoming');
const CORPUS = join(ROOT, 'tests', 'security', 'fixtures', 'corpus.jsonl');
/** What the injected fault says: a patient's name, which the guard must not log. */
const FAULT_TEXT = 'injected fault for patient Zebulon Fairweather';
// Loaded into the child with --import: on SIGUSR2 a promise nobody handles rejects, as busboy's did.
// Nothing else in the child changes; this is how the test reaches the process guard directly.
const FAULT_HOOK = join(tmp.dir, 'unhandled-on-sigusr2.mjs');

const running: ServeProcess[] = [];
let serve: ServeProcess;
let adminKey: string;

/** `galen serve` on the test's data directory: 1 MiB uploads, 1 s upload idle timeout, no Wikipedia, no seed. */
async function serveData(): Promise<ServeProcess> {
  const started = await startServe(dataDir, {
    GALEN_SEED: 'false',
    GALEN_WIKIPEDIA: 'false',
    GALEN_RETRIEVAL_WORKERS: '0',
    GALEN_MAX_UPLOAD_MB: '1',
    GALEN_UPLOAD_IDLE_TIMEOUT_S: '1',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(FAULT_HOOK).href}`.trim(),
  });
  running.push(started);
  await started.waitFor(/"msg":"vector index ready"/);
  return started;
}

beforeAll(async () => {
  writeFileSync(
    FAULT_HOOK,
    `import { isMainThread } from 'node:worker_threads';\n` +
      `if (isMainThread) process.on('SIGUSR2', () => { Promise.reject(new Error(${JSON.stringify(FAULT_TEXT)})); });\n`,
  );
  const ingested = await galenAsync(['--data', dataDir, 'ingest', CORPUS, '--source', 'sec', '--format', 'jsonl']);
  expect(ingested.status, ingested.stderr).toBe(0);
  const created = await galenAsync(['--data', dataDir, 'keys', 'create', '--role', 'admin', '--label', 'upload attacks']);
  expect(created.status, created.stderr).toBe(0);
  adminKey = /(galen_\S+)/.exec(created.stdout)![1]!;
  serve = await serveData();
});

afterAll(async () => {
  for (const s of running) await s.stop();
  tmp.cleanup();
});

const BOUNDARY = 'galenboundary7f3a';
const DOC = JSON.stringify({ id: 'n1', title: 'Note', text: 'Zorblaxitis is managed with rest and fluids. '.repeat(4) });
const filePart = (content: string, boundary = BOUNDARY) =>
  `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.jsonl"\r\nContent-Type: application/x-ndjson\r\n\r\n${content}\r\n`;
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

const port = () => Number(new URL(serve.url).port);

function head(headers: Record<string, string>): string {
  const lines = [
    'POST /v1/knowledge/ingest?source=attack HTTP/1.1',
    `Host: 127.0.0.1:${port()}`,
    `Authorization: Bearer ${adminKey}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;

/** A raw connection: what it has been sent back so far, and when it closes. */
interface RawUpload {
  socket: Socket;
  received(): string;
  /** Everything received, once the server has sent one whole response (the socket is then destroyed) or the socket closed. */
  done: Promise<string>;
  /** Writes a byte every 200 ms, so the upload idle timeout does not end the upload. */
  trickle(): void;
}

/** Opens a socket to the child and writes `parts`; `end` half-closes it afterwards. Gives up (destroys it) after 15 s. */
function rawUpload(parts: string[], end = false): RawUpload {
  const socket = connect(port(), '127.0.0.1');
  let got = Buffer.alloc(0);
  let trickling: NodeJS.Timeout | undefined;
  const giveUp = setTimeout(() => socket.destroy(), 15_000);
  const done = new Promise<string>((resolve) => {
    const finish = () => {
      clearInterval(trickling);
      clearTimeout(giveUp);
      resolve(got.toString('utf8'));
    };
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (wholeResponse(got)) socket.destroy();
    });
    socket.on('close', finish);
    socket.on('error', () => undefined);
  });
  socket.on('connect', () => {
    for (const p of parts) socket.write(p);
    if (end) socket.end();
  });
  return {
    socket,
    received: () => got.toString('utf8'),
    done,
    trickle: () => {
      trickling = setInterval(() => socket.writable && socket.write('x'), 200);
    },
  };
}

function wholeResponse(raw: Buffer): boolean {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(raw.subarray(0, end).toString('latin1'))?.[1];
  return length !== undefined && raw.length - end - 4 >= Number(length);
}

/** Asserts `raw` is one HTTP response with `status` and a JSON body `{error:{code,message}}` with `code` (or one of them). */
function expectJsonError(raw: string, status: number, code: string | string[]): void {
  const [headText = '', body = ''] = raw.split('\r\n\r\n', 2);
  expect(headText, raw).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(headText, raw).toMatch(/\r\ncontent-type: application\/json/i);
  const parsed = JSON.parse(body) as { error: { code: unknown; message: unknown } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(typeof code === 'string' ? [code] : code).toContain(parsed.error.code);
  expect(typeof parsed.error.message).toBe('string');
  expect(String(parsed.error.message).length).toBeGreaterThan(0);
  expect(body).not.toContain(tmp.dir);
}

/** Polls until `check` holds (every 20 ms, `ms` at most); true if it did. */
async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (check()) return true;
  return check();
}

const incoming = (): string[] => {
  try {
    return readdirSync(incomingDir);
  } catch {
    return [];
  }
};

/** The `.incoming` folders once the request has ended (removal follows the failure closely). */
async function leftIncoming(): Promise<string[]> {
  await until(() => incoming().length === 0);
  return incoming();
}

/** Guard log lines: an unhandled rejection or an uncaught exception in the child. */
const faults = (s: ServeProcess) =>
  s
    .stdout()
    .split('\n')
    .filter((l) => /unhandled promise rejection|uncaught exception/.test(l));

/** The child still runs, logged no fault, and answers liveness, readiness and a real retrieval from its store. */
async function expectServing(s: ServeProcess = serve): Promise<void> {
  expect(s.child.exitCode, s.stderr()).toBeNull();
  expect(s.child.signalCode).toBeNull();
  expect(faults(s)).toEqual([]);
  expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  const ready = await fetch(`${s.url}/readyz`);
  expect(ready.status).toBe(200);
  const readiness = (await ready.json()) as { status: string; chunks: number; vectors: { state: string; vectors: number } };
  expect(readiness.status).toBe('ready');
  expect(readiness.vectors.state).toBe('ready');
  expect(readiness.vectors.vectors).toBe(readiness.chunks);
  const retrieved = await fetch(`${s.url}/v1/retrieve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'What foods should people with gout avoid?', k: 3 }),
  });
  expect(retrieved.status).toBe(200);
  const { hits } = (await retrieved.json()) as { hits: Array<{ externalId: string; retrievers: Array<{ retriever: string }> }> };
  expect(hits.map((h) => h.externalId)).toContain('SEC_GOUT_Sec2');
  // The vector index answers too, not only BM25.
  expect(hits.some((h) => h.retrievers.some((r) => r.retriever === 'vector'))).toBe(true);
}

describe('hostile uploads to a real galen serve', () => {
  it('a multipart body truncated before its closing boundary (the HTTP body itself complete): 400 INVALID_UPLOAD', async () => {
    // Chunked and properly terminated, but the form stops mid-part: busboy's "Unexpected end of form".
    const response = await rawUpload([
      head({ 'Content-Type': MULTIPART, 'Transfer-Encoding': 'chunked' }),
      chunk(filePart(DOC).slice(0, -10)),
      '0\r\n\r\n',
    ]).done;
    expectJsonError(response, 400, 'INVALID_UPLOAD');
    expect(await leftIncoming()).toEqual([]);
    await expectServing();
  });

  it('a chunked multipart body whose chunk framing breaks mid-file: a JSON 400', async () => {
    const response = await rawUpload([
      head({ 'Content-Type': MULTIPART, 'Transfer-Encoding': 'chunked' }),
      chunk(filePart(DOC).slice(0, 150)),
      'zz\r\nnot a chunk\r\n',
    ]).done;
    expectJsonError(response, 400, ['INVALID_REQUEST', 'INVALID_UPLOAD']);
    expect(await leftIncoming()).toEqual([]);
    await expectServing();
  });

  it('a multipart body cut short by the client ending its side of the socket', async () => {
    const body = `${filePart(DOC)}--${BOUNDARY}--\r\n`;
    const upload = rawUpload([head({ 'Content-Type': MULTIPART, 'Content-Length': String(body.length) }), body.slice(0, 150)], true);
    const response = await upload.done;
    // Node's parser fails the request at the early end of the stream (Node's own answer: a bare
    // 400 without a body); the client can still read, and is answered in JSON.
    expectJsonError(response, 400, ['INVALID_REQUEST', 'INVALID_UPLOAD']);
    expect(await leftIncoming()).toEqual([]);
    await expectServing();
  });

  it('a body whose parts do not use the declared boundary: 400 INVALID_UPLOAD', async () => {
    const body = `${filePart(DOC, 'someotherboundary')}--someotherboundary--\r\n`;
    const response = await rawUpload([head({ 'Content-Type': MULTIPART, 'Content-Length': String(body.length) }), body]).done;
    expectJsonError(response, 400, 'INVALID_UPLOAD');
    expect(await leftIncoming()).toEqual([]);
    await expectServing();
  });

  it('uploads past security.maxUploadMb (1 MiB): 413 UPLOAD_TOO_LARGE, declared or streamed', async () => {
    const declared = await rawUpload([head({ 'Content-Type': MULTIPART, 'Content-Length': String(2 * 2 ** 20) }), filePart(DOC)]).done;
    expectJsonError(declared, 413, 'UPLOAD_TOO_LARGE');

    const big = `${DOC}\n`.repeat(Math.ceil((1.5 * 2 ** 20) / DOC.length));
    const streamed = await rawUpload([
      head({ 'Content-Type': MULTIPART, 'Transfer-Encoding': 'chunked' }),
      chunk(filePart(big)),
      chunk(`--${BOUNDARY}--\r\n`),
      '0\r\n\r\n',
    ]).done;
    expectJsonError(streamed, 413, 'UPLOAD_TOO_LARGE');
    expect(await leftIncoming()).toEqual([]);
    await expectServing();
  });

  it('a client that sends half its body and goes silent: 408 UPLOAD_TIMEOUT after the 1 s idle timeout', async () => {
    const started = Date.now();
    const upload = rawUpload([head({ 'Content-Type': MULTIPART, 'Content-Length': '5000' }), filePart(DOC).slice(0, 200)]);
    // The upload is being spooled: its folder exists while the client is silent.
    expect(await until(() => incoming().length === 1 || upload.received() !== '')).toBe(true);
    const response = await upload.done;
    expectJsonError(response, 408, 'UPLOAD_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await leftIncoming()).toEqual([]);
    await expectServing();
  });

  it('a client that aborts mid-body (socket destroyed while the file is being written)', async () => {
    for (const contentType of [MULTIPART, 'application/x-ndjson']) {
      const body = contentType === MULTIPART ? filePart(`${DOC}\n`.repeat(20)) : `${DOC}\n`.repeat(20);
      const upload = rawUpload([head({ 'Content-Type': contentType, 'Content-Length': String(body.length + 10_000) }), body]);
      upload.trickle();
      expect(await until(() => incoming().length === 1), `no upload folder for ${contentType}`).toBe(true);
      upload.socket.destroy();
      expect(await upload.done).toBe('');
      expect(await leftIncoming()).toEqual([]);
    }
    await expectServing();
  });

  it('the process guard: an unhandled rejection is logged without its message and the server keeps serving', async () => {
    process.kill(serve.child.pid!, 'SIGUSR2');
    await serve.waitFor(/"msg":"unhandled promise rejection; still serving"/, 10_000);
    const logged = faults(serve);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('"type":"Error"');
    expect(serve.stdout() + serve.stderr()).not.toContain('Zebulon');
    // Only the injected fault: the attacks before this one left none.
    expect(serve.child.exitCode).toBeNull();
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
  });
});

describe('kill -9 during an upload and an ingest job', () => {
  it('a restart on the same data directory removes the orphaned upload folder and serves a healthy store and vector index', async () => {
    // An upload in flight (kept alive below the idle timeout) …
    const upload = rawUpload([head({ 'Content-Type': MULTIPART, 'Content-Length': '200000' }), filePart(`${DOC}\n`.repeat(20))]);
    upload.trickle();
    expect(await until(() => incoming().length === 1)).toBe(true);
    const orphan = incoming()[0]!;
    // … and an accepted ingest job (queued or running; it writes the store, then the vector index).
    const docs = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        id: `q${i}`,
        title: `Quorblax note ${i}`,
        text: `Quorblax syndrome variant ${i} is treated with rest and fluids. `.repeat(6),
      }),
    );
    const accepted = await fetch(`${serve.url}/v1/knowledge/ingest?source=quorblax`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/x-ndjson' },
      body: docs.join('\n'),
    });
    expect(accepted.status).toBe(202);
    const killed = new Promise<NodeJS.Signals | null>((resolve) => serve.child.once('exit', (_code, signal) => resolve(signal)));
    serve.child.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    upload.socket.destroy();
    await upload.done;
    // What the killed process left behind.
    expect(incoming()).toContain(orphan);
    mkdirSync(join(incomingDir, 'older-orphan'), { recursive: true });
    writeFileSync(join(incomingDir, 'older-orphan', 'notes.jsonl'), '{"id":');

    serve = await serveData();
    expect(await leftIncoming()).toEqual([]);
    await expectServing();
    expect(serve.stdout()).not.toMatch(/"level":50/);

    // Knowledge jobs still work on the recovered store: the killed job's source ingested again.
    const again = await fetch(`${serve.url}/v1/knowledge/ingest?source=quorblax`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/x-ndjson' },
      body: docs.join('\n'),
    });
    expect(again.status).toBe(202);
    const { job } = (await again.json()) as { job: { id: string } };
    let status = 'queued';
    for (const end = Date.now() + 60_000; ['queued', 'running'].includes(status) && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 100));
      const view = (await (await fetch(`${serve.url}/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as {
        job: { status: string };
      };
      status = view.job.status;
    }
    expect(status).toBe('succeeded');
    const retrieved = await fetch(`${serve.url}/v1/retrieve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'How is quorblax syndrome treated?', k: 3 }),
    });
    const { hits } = (await retrieved.json()) as { hits: Array<{ source: string }> };
    expect(hits[0]?.source).toBe('quorblax');
    await expectServing();
  });
});
