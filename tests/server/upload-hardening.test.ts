import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import { createLogger } from '../../server/logging/logger.js';
import { ApiKeyStore } from '../../server/security/index.js';
import { tempDir } from '../helpers/paths.js';

// Hostile uploads against a real server over real sockets: raw HTTP written with node:net, so a
// body can be cut short, sent with a wrong boundary, left idle or abandoned mid-way. A crash of
// the server (the unhandled rejection busboy's "Unexpected end of form" caused) fails these
// tests: vitest reports unhandled rejections, and /healthz must still answer afterwards.
const tmp = tempDir();
const dataDir = join(tmp.dir, 'data');
let server: RunningServer;
let adminKey: string;
let port: number;

beforeAll(async () => {
  const keys = ApiKeyStore.open({ dataDir });
  adminKey = keys.create({ role: 'admin' }).key;
  keys.close();
  // What a killed server left: a half-received upload and an upload no source records.
  mkdirSync(join(dataDir, 'uploads', '.incoming', 'dead-upload'), { recursive: true });
  writeFileSync(join(dataDir, 'uploads', '.incoming', 'dead-upload', 'part.jsonl'), '{"id":');
  mkdirSync(join(dataDir, 'uploads', 'ghost', 'dead-job'), { recursive: true });
  writeFileSync(join(dataDir, 'uploads', 'ghost', 'dead-job', 'upload.jsonl'), '{}\n');
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      server: { port: 0 },
      seed: { enabled: false },
      wikipedia: { enabled: false },
      security: { maxUploadMb: 1, uploadIdleTimeoutSeconds: 1 },
    },
  });
  server = await startServer(config, createLogger('silent'));
  await server.ready;
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

const BOUNDARY = 'galenboundary123';
const doc = JSON.stringify({ id: 'n1', title: 'Note', text: 'Zorblaxitis is managed with rest and fluids. '.repeat(4) });
const filePart = (name: string, content: string, boundary = BOUNDARY) =>
  `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/x-ndjson\r\n\r\n${content}\r\n`;

function head(headers: Record<string, string>): string {
  const lines = [
    'POST /v1/knowledge/ingest?source=notes HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    `Authorization: Bearer ${adminKey}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const chunk = (data: string | Buffer) => {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
};

/** Opens a socket, writes `parts` in order (pausing `pauseMs` between them), then ends as told; resolves with what came back. */
function rawRequest(parts: Array<string | Buffer>, finish: 'keep' | 'end' | 'destroy', waitMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, waitMs);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      // One whole JSON error answer is all these requests wait for.
      if (finish === 'keep' && /\}\}\s*$/.test(got)) socket.destroy();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ECONNRESET') return;
      clearTimeout(timer);
      reject(e);
    });
    socket.on('connect', () => {
      for (const p of parts) socket.write(p);
      if (finish === 'end') socket.end();
      if (finish === 'destroy') setTimeout(() => socket.destroy(), 100);
    });
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
const codeOf = (response: string) => /"code":"([A-Z_]+)"/.exec(response)?.[1];
const incoming = () => {
  const dir = join(dataDir, 'uploads', '.incoming');
  return existsSync(dir) ? readdirSync(dir) : [];
};

async function stillServing(): Promise<void> {
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
}

async function settledIncoming(): Promise<string[]> {
  for (let i = 0; i < 100 && incoming().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return incoming();
}

describe('hostile uploads', () => {
  it('removes orphaned upload folders at start', async () => {
    const res = await fetch(`${server.url}/v1/knowledge/sources`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(res.status).toBe(200);
    // The sweep runs in the background at start; uploads and jobs wait for it.
    for (let i = 0; i < 200 && existsSync(join(dataDir, 'uploads', 'ghost')); i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(join(dataDir, 'uploads', '.incoming', 'dead-upload'))).toBe(false);
    expect(existsSync(join(dataDir, 'uploads', 'ghost'))).toBe(false);
  });

  it('answers a multipart body that ends without its closing boundary with 400, and keeps serving', async () => {
    // Complete as HTTP (chunked, terminated) but truncated as a form: busboy's "Unexpected end of form".
    const response = await rawRequest(
      [
        head({ 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Transfer-Encoding': 'chunked' }),
        chunk(filePart('a.jsonl', doc).slice(0, -10)),
        '0\r\n\r\n',
      ],
      'keep',
    );
    expect(statusOf(response)).toBe(400);
    expect(codeOf(response)).toBe('INVALID_UPLOAD');
    expect(await settledIncoming()).toEqual([]);
    await stillServing();
  });

  it('survives a body cut short by the client closing its side (Content-Length not reached)', async () => {
    const body = filePart('a.jsonl', doc) + `--${BOUNDARY}--\r\n`;
    await rawRequest(
      [head({ 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': String(body.length) }), body.slice(0, 120)],
      'end',
      2000,
    );
    expect(await settledIncoming()).toEqual([]);
    await stillServing();
  });

  it('survives an upload aborted mid-file (socket destroyed), raw and multipart', async () => {
    const body = filePart('a.jsonl', doc.repeat(50));
    await rawRequest(
      [head({ 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': String(body.length + 1000) }), body],
      'destroy',
      2000,
    );
    await rawRequest([head({ 'Content-Type': 'application/x-ndjson', 'Content-Length': '100000' }), `${doc}\n`], 'destroy', 2000);
    expect(await settledIncoming()).toEqual([]);
    await stillServing();
  });

  it('refuses a body whose parts do not use the declared boundary (400)', async () => {
    const body = filePart('a.jsonl', doc, 'otherboundary') + '--otherboundary--\r\n';
    const response = await rawRequest(
      [head({ 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': String(body.length) }), body],
      'keep',
    );
    expect(statusOf(response)).toBe(400);
    expect(codeOf(response)).toBe('INVALID_UPLOAD');
    expect(await settledIncoming()).toEqual([]);
    await stillServing();
  });

  it('refuses an oversized chunked multipart upload with 413', async () => {
    const big = `${doc}\n`.repeat(Math.ceil((1.5 * 2 ** 20) / doc.length));
    const response = await rawRequest(
      [
        head({ 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Transfer-Encoding': 'chunked' }),
        chunk(filePart('big.jsonl', big)),
        chunk(`--${BOUNDARY}--\r\n`),
        '0\r\n\r\n',
      ],
      'keep',
    );
    expect(statusOf(response)).toBe(413);
    expect(codeOf(response)).toBe('UPLOAD_TOO_LARGE');
    expect(await settledIncoming()).toEqual([]);
    await stillServing();
  });

  it('answers 408 to an upload that stops sending (security.uploadIdleTimeoutSeconds)', async () => {
    const started = Date.now();
    const response = await rawRequest(
      [
        head({ 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': '5000' }),
        filePart('a.jsonl', doc).slice(0, 150),
      ],
      'keep',
      8000,
    );
    expect(statusOf(response)).toBe(408);
    expect(codeOf(response)).toBe('UPLOAD_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(7000);
    expect(await settledIncoming()).toEqual([]);
    await stillServing();
  });
});

describe('server.maxConnections', () => {
  it('closes connections past the limit as they arrive', async () => {
    const dir = tempDir();
    const limited = await startServer(
      loadConfig({
        env: {},
        overrides: {
          dataDir: join(dir.dir, 'data'),
          server: { port: 0, maxConnections: 2 },
          seed: { enabled: false },
          wikipedia: { enabled: false },
        },
      }),
      createLogger('silent'),
    );
    const sockets: Socket[] = [];
    try {
      const { port: p } = new URL(limited.url);
      const open = () =>
        new Promise<Socket>((resolve) => {
          const s = connect(Number(p), '127.0.0.1', () => resolve(s));
          s.on('error', () => undefined);
          sockets.push(s);
        });
      await open();
      await open();
      const third = await open();
      const closed = await new Promise<boolean>((resolve) => {
        third.once('close', () => resolve(true));
        third.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        setTimeout(() => resolve(false), 3000);
      });
      expect(closed).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
      await limited.close();
      dir.cleanup();
    }
  });
});

describe('what clients are told', () => {
  const admin = () => ({ authorization: `Bearer ${adminKey}` });
  async function finished(id: string): Promise<{ status: string; error?: { code: string; message: string }; result?: unknown }> {
    for (let i = 0; i < 1200; i++) {
      const { job } = (await (await fetch(`${server.url}/v1/jobs/${id}`, { headers: admin() })).json()) as {
        job: { status: string; error?: { code: string; message: string }; result?: unknown };
      };
      if (!['queued', 'running'].includes(job.status)) return job;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('job did not finish');
  }

  it('answers errors without server paths or internal codes; the job error too', async () => {
    const res = await fetch(`${server.url}/v1/knowledge/sources/nope`, { method: 'DELETE', headers: admin() });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('SOURCE_NOT_FOUND');
    expect(body.error.message).toContain('galen.sqlite');
    expect(body.error.message).not.toContain(tmp.dir);

    // A "gzip" that is not one: zlib's Z_DATA_ERROR, and the upload's path, must stay in the server.
    const bad = await fetch(`${server.url}/v1/knowledge/ingest?source=broken`, {
      method: 'POST',
      headers: { ...admin(), 'content-type': 'application/gzip' },
      body: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(64, 7)]),
    });
    expect(bad.status).toBe(202);
    const { job } = (await bad.json()) as { job: { id: string } };
    const done = await finished(job.id);
    const text = JSON.stringify(done);
    expect(text).not.toContain(tmp.dir);
    expect(text).not.toMatch(/Z_[A-Z_]+/);
  });

  it('keeps only http(s) URLs at ingest, reporting the dropped ones, and never returns others as links', async () => {
    const docs = [
      {
        id: 'js',
        title: 'Quorblax script',
        url: 'javascript:alert(document.cookie)',
        text: 'Quorblax syndrome is treated with rest. '.repeat(3),
      },
      {
        id: 'data',
        title: 'Quorblax data',
        url: 'data:text/html,<script>alert(1)</script>',
        text: 'Quorblax syndrome needs fluids. '.repeat(3),
      },
      { id: 'web', title: 'Quorblax web', url: 'https://example.org/quorblax', text: 'Quorblax syndrome resolves in days. '.repeat(3) },
    ];
    const res = await fetch(`${server.url}/v1/knowledge/ingest?source=links`, {
      method: 'POST',
      headers: { ...admin(), 'content-type': 'application/x-ndjson' },
      body: docs.map((d) => JSON.stringify(d)).join('\n'),
    });
    expect(res.status).toBe(202);
    const { job } = (await res.json()) as { job: { id: string } };
    const done = (await finished(job.id)) as { status: string; result: { added: number; rejections: Array<{ message: string }> } };
    expect(done.status).toBe('succeeded');
    expect(done.result.added).toBe(3);
    expect(done.result.rejections.filter((r) => r.message.includes('only http(s) URLs'))).toHaveLength(2);
    const hits = (await (
      await fetch(`${server.url}/v1/search`, {
        method: 'POST',
        headers: { ...admin(), 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'quorblax syndrome', k: 10 }),
      })
    ).json()) as { hits: Array<{ externalId: string; url: string | null }> };
    const urls = Object.fromEntries(hits.hits.map((h) => [h.externalId, h.url]));
    expect(urls).toEqual({ js: null, data: null, web: 'https://example.org/quorblax' });
  });
});
