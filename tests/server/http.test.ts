import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import { createLogger } from '../../server/logging/logger.js';
import { tempDir } from '../helpers/paths.js';

// A real server on a free loopback port, seeding its empty store from the bundled corpus.
const tmp = tempDir();
let server: RunningServer;

beforeAll(async () => {
  const config = loadConfig({ env: {}, overrides: { dataDir: join(tmp.dir, 'data'), server: { port: 0 } } });
  server = await startServer(config, createLogger('silent'));
  const early = await fetch(`${server.url}/healthz`);
  expect(early.status).toBe(200);
  // Questions wait for the seed corpus: a clear 503 with Retry-After, not an answer from half a corpus.
  const tooEarly = await fetch(`${server.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'What causes gout?' }] }),
  });
  expect(tooEarly.status).toBe(503);
  expect(tooEarly.headers.get('retry-after')).toBe('5');
  expect(((await tooEarly.json()) as { error: { code: string } }).error.code).toBe('NOT_READY');
  await server.ready;
});

afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

const post = (path: string, body: string) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('the HTTP server', () => {
  it('is ready with the seed corpus after start', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; chunks: number; retrievalWorkers: number };
    expect(body.status).toBe('ready');
    expect(body.chunks).toBeGreaterThan(20_000);
    // The default: BM25 and vector searches on two worker threads.
    expect(body.retrievalWorkers).toBe(2);
  });

  it('answers from the seed corpus once ready', async () => {
    const res = await post(
      '/v1/chat',
      JSON.stringify({ messages: [{ role: 'user', content: 'What causes polycystic ovary syndrome?' }], options: { sources: ['corpus'] } }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      mode: string;
      citations: Array<{ title: string; source: string; license: string }>;
      answer: string;
    };
    expect(body.mode).toBe('extractive');
    expect(body.citations.some((c) => c.title === 'Polycystic ovary syndrome' && c.source === 'medquad' && c.license === 'CC BY 4.0')).toBe(
      true,
    );
    expect(body.answer).toMatch(/hormone/i);
  });

  it('searches the corpus', async () => {
    const res = await post('/v1/search', JSON.stringify({ query: 'What causes Polycystic ovary syndrome?', k: 3 }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { hits: Array<{ externalId: string; title: string; license: string; url: string }> };
    expect(body.hits).toHaveLength(3);
    expect(body.hits[0]!.title.toLowerCase()).toBe('polycystic ovary syndrome');
    expect(body.hits[0]!.license).toBe('CC BY 4.0');
  });

  it('answers bad requests with a JSON error', async () => {
    const cases: Array<[Promise<Response>, number, string]> = [
      [post('/v1/search', '{"query": '), 400, 'INVALID_JSON'],
      [post('/v1/search', JSON.stringify({ query: 42 })), 400, 'INVALID_REQUEST'],
      [post('/v1/search', JSON.stringify({ query: 'x', k: 0 })), 400, 'INVALID_REQUEST'],
      [post('/v1/search', JSON.stringify({ query: 'x'.repeat(10_001) })), 400, 'INVALID_REQUEST'],
      [post('/v1/search', JSON.stringify({ query: 'x'.repeat(300_000) })), 413, 'BODY_TOO_LARGE'],
      [fetch(`${server.url}/nowhere`), 404, 'NOT_FOUND'],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });
});
