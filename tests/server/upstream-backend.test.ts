import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, type OnnxLanguageModel } from '../../model/index.js';
import { STORIES } from '../model/fixtures.js';
import { TestUpstream } from '../model/openai-compatible/test-upstream.js';
import { markers, readSse, startChatServer, type ChatServer } from './chat-server.js';

// Galen served through HTTP with model.backend openai-compatible, configured as an operator would
// (upstream.urls), in front of test engines that really generate (stories260k on Galen's runtime).

interface AnswerBody {
  answer: string;
  mode: string;
  finishReason: string;
  citations: Array<{ n: number }>;
  removedCitations: number[];
  usage: { promptTokens: number; completionTokens: number };
  model: { mode: string; generator?: { name: string; provider: string; contextWindow: number } };
}

interface Readiness {
  status: string;
  generator: {
    backend: string;
    model: string;
    available: boolean;
    upstreams: Array<{ url: string; answers: boolean | null; breaker: string; models?: string[]; error?: string }>;
  };
}

const chatBody = (content: string, options: Record<string, unknown> = {}, stream = false) => ({
  messages: [{ role: 'user', content }],
  stream,
  options,
});

/** A URL ending in /v1 where nothing listens (a port taken and released). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

const upstreamConfig = (urls: string[], extra: Record<string, unknown> = {}) => ({
  model: { backend: 'openai-compatible' },
  upstream: { urls, retries: 1, breakerFailures: 2, breakerCooldownMs: 60_000, ...extra },
  answer: { passages: 3, maxNewTokens: 24, temperature: 0 },
});

let engine: OnnxLanguageModel;
beforeAll(async () => {
  engine = await loadLanguageModel(STORIES);
});
afterAll(async () => engine?.close());

describe('answers through two serving engines', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let chat: ChatServer;
  beforeAll(async () => {
    a = await TestUpstream.start(engine);
    b = await TestUpstream.start(engine);
    chat = await startChatServer(upstreamConfig([a.url, b.url]));
  });
  afterAll(async () => {
    await chat?.cleanup();
    await a?.close();
    await b?.close();
  });

  it('answers /v1/chat from an engine, with validated citations', async () => {
    const before = a.requests + b.requests;
    a.prefix = b.prefix = 'Gout is an arthritis [1]; see also [9]. ';
    try {
      const res = await chat.post('/v1/chat', chatBody('What is gout?'));
      expect(res.status).toBe(200);
      const body = (await res.json()) as AnswerBody;
      expect(a.requests + b.requests - before).toBe(1);
      expect(body.mode).toBe('generative');
      expect(body.model.generator).toMatchObject({ name: 'stories', provider: 'openai-compatible', contextWindow: 512 });
      expect(body.usage.completionTokens).toBeGreaterThan(0);
      // [9] points at no passage: removed, and reported; [1] stays.
      expect(body.removedCitations).toContain(9);
      expect(markers(body.answer)).toContain(1);
      const cited = new Set(body.citations.map((c) => c.n));
      for (const n of markers(body.answer)) expect(cited.has(n)).toBe(true);
    } finally {
      a.prefix = b.prefix = '';
    }
  });

  it('streams /v1/chat: citations, the engine text as deltas, then done', async () => {
    const res = await chat.post('/v1/chat', chatBody('What are the symptoms of gout?', {}, true));
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events[0]!.event).toBe('citations');
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(events.at(-1)!.event).toBe('done');
    const done = JSON.parse(events.at(-1)!.data) as AnswerBody;
    expect(deltas.map((d) => (JSON.parse(d.data) as { text: string }).text).join('')).toBe(done.answer);
  });

  it('answers /v1/chat/completions, streaming and not', async () => {
    const messages = [{ role: 'user', content: 'How is gout treated?' }];
    const plain = await chat.post('/v1/chat/completions', { model: 'galen', max_tokens: 16, messages });
    expect(plain.status).toBe(200);
    const completion = (await plain.json()) as {
      choices: Array<{ message: { content: string } }>;
      usage: { completion_tokens: number };
    };
    expect(completion.choices[0]!.message.content.length).toBeGreaterThan(0);
    expect(completion.usage.completion_tokens).toBeGreaterThan(0);
    const streamed = await chat.post('/v1/chat/completions', { model: 'galen', max_tokens: 16, stream: true, messages });
    const events = await readSse(streamed);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as { choices: Array<{ delta: { content?: string } }> });
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(3);
  });

  it('closes the engine request when the client disconnects', async () => {
    const before = a.closedEarly + b.closedEarly;
    const res = await chat.post('/v1/chat', chatBody('What is gout?', { maxTokens: 400 }, true));
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: delta')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    await expect.poll(() => a.closedEarly + b.closedEarly - before, { timeout: 10_000 }).toBe(1);
  });

  it('spreads concurrent answers over both engines', async () => {
    const beforeA = a.requests;
    const beforeB = b.requests;
    const answers = await Promise.all(Array.from({ length: 6 }, () => chat.post('/v1/chat', chatBody('What is gout?'))));
    expect(answers.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(a.requests - beforeA).toBeGreaterThanOrEqual(2);
    expect(b.requests - beforeB).toBeGreaterThanOrEqual(2);
    expect(a.requests - beforeA + (b.requests - beforeB)).toBe(6);
  });

  it('says in /readyz which engines are in use and that each answers', async () => {
    const readyz = async () => (await (await fetch(`${chat.server.url}/readyz`)).json()) as Readiness;
    // A probe that met a busy engine is refreshed in the background: the report catches up.
    await expect
      .poll(async () => (await readyz()).generator.upstreams.every((u) => u.answers), { timeout: 30_000, interval: 500 })
      .toBe(true);
    const ready = await readyz();
    expect(ready.status).toBe('ready');
    expect(ready.generator).toMatchObject({ backend: 'openai-compatible', model: 'stories', available: true });
    expect(ready.generator.upstreams).toEqual([
      expect.objectContaining({ url: a.url, answers: true, breaker: 'closed', models: ['stories'] }),
      expect.objectContaining({ url: b.url, answers: true, breaker: 'closed', models: ['stories'] }),
    ]);
  });

  it('exposes per-engine requests, errors, latency, time to first token and tokens on /metrics', async () => {
    await (await chat.post('/v1/chat', chatBody('What is gout?'))).json();
    const text = await (await fetch(`${chat.server.url}/metrics`)).text();
    const sample = (name: string, labels: string) =>
      Number(new RegExp(`^${name}\\{${labels.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    for (const upstream of [a, b]) {
      const label = `upstream="${upstream.url}"`;
      expect(sample('galen_upstream_requests_total', label)).toBe(upstream.requests);
      expect(sample('galen_upstream_errors_total', label)).toBe(0);
      expect(sample('galen_upstream_tokens_total', `${label},kind="completion"`)).toBeGreaterThan(0);
      expect(sample('galen_upstream_tokens_total', `${label},kind="prompt"`)).toBeGreaterThan(0);
      expect(sample('galen_upstream_request_duration_seconds_count', label)).toBe(upstream.requests);
      expect(sample('galen_upstream_time_to_first_token_seconds_count', label)).toBe(upstream.requests);
      expect(sample('galen_upstream_outstanding', label)).toBe(0);
      expect(sample('galen_upstream_breaker_state', label)).toBe(0);
    }
  });
});

describe('every serving engine down', () => {
  it('answers 503 with Retry-After, with the failures counted per engine', async () => {
    const upstream = await TestUpstream.start(engine);
    const chat = await startChatServer(upstreamConfig([upstream.url]));
    try {
      upstream.mode = 'fail';
      const res = await chat.post('/v1/chat', chatBody('What is gout?'));
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UPSTREAM_UNAVAILABLE');
      const streamed = await chat.post('/v1/chat', chatBody('What is gout?', {}, true));
      expect(streamed.status).toBe(503);
      expect(streamed.headers.get('retry-after')).toBeTruthy();
      const openai = await chat.post('/v1/chat/completions', { model: 'galen', messages: [{ role: 'user', content: 'What is gout?' }] });
      expect(openai.status).toBe(503);
      expect(openai.headers.get('retry-after')).toBeTruthy();
      expect(((await openai.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
      const metrics = await (await fetch(`${chat.server.url}/metrics`)).text();
      expect(metrics).toContain(`galen_upstream_errors_total{upstream="${upstream.url}"} 2`);
      expect(metrics).toContain(`galen_upstream_breaker_state{upstream="${upstream.url}"} 2`);
    } finally {
      await chat.cleanup();
      await upstream.close();
    }
  });

  it('answers extractively when upstream.fallback is extractive, and /readyz shows the engine that does not answer', async () => {
    const upstream = await TestUpstream.start(engine);
    const dead = await deadUrl();
    const chat = await startChatServer(upstreamConfig([upstream.url, dead], { fallback: 'extractive' }));
    try {
      const ready = (await (await fetch(`${chat.server.url}/readyz`)).json()) as Readiness;
      expect(ready.status).toBe('ready');
      expect(ready.generator.available).toBe(true);
      expect(ready.generator.upstreams).toEqual([
        expect.objectContaining({ url: upstream.url, answers: true }),
        expect.objectContaining({ url: dead, answers: false, error: expect.any(String) }),
      ]);
      upstream.mode = 'fail';
      const res = await chat.post('/v1/chat', chatBody('What is gout?'));
      expect(res.status).toBe(200);
      const body = (await res.json()) as AnswerBody;
      expect(body.mode).toBe('extractive');
      expect(body.citations.length).toBeGreaterThan(0);
      expect(body.answer.toLowerCase()).toContain('gout');
      const cited = new Set(body.citations.map((c) => c.n));
      for (const n of markers(body.answer)) expect(cited.has(n)).toBe(true);
    } finally {
      await chat.cleanup();
      await upstream.close();
    }
  });
});
