import { Writable } from 'node:stream';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, type GenerationStream, type OnnxLanguageModel } from '../../model/index.js';
import { SHARED } from '../helpers/paths.js';
import { markers, parseSse, readSse, startChatServer, type ChatServer } from './chat-server.js';

// Generative mode with a real tiny LLaMA (stories260k writes children's stories, so the text is
// nonsense; streaming, stopping, aborting, backpressure and citation handling are what is tested).
// One batch slot and one queue place make the generation queue easy to fill.
const STORIES = join(SHARED, 'models', 'stories260k');
let model: OnnxLanguageModel;
let chat: ChatServer;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  model = await loadLanguageModel(STORIES, { maxBatchSize: 1, maxQueuedRequests: 1 });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  chat = await startChatServer(
    { answer: { passages: 3, maxNewTokens: 40, temperature: 0 } },
    { logger: pino({ level: 'info' }, sink), dependencies: { model } },
  );
});

afterAll(async () => {
  await chat?.cleanup();
  await model?.close();
});

/** A long generation of the test's own that holds the model's only batch slot until aborted. */
function occupy(): { stream: GenerationStream; release: () => Promise<void> } {
  const controller = new AbortController();
  const stream = model.stream('Once upon a time', { maxNewTokens: 500, temperature: 1, seed: 1, signal: controller.signal });
  return {
    stream,
    release: async () => {
      controller.abort();
      await stream.result;
    },
  };
}

interface AnswerBody {
  answer: string;
  mode: string;
  finishReason: string;
  citations: Array<{ n: number; externalId: string }>;
  usage: { promptTokens: number; completionTokens: number };
  model: { mode: string; generator: { name: string; contextWindow: number } };
  removedCitations: number[];
  droppedPassages: unknown[];
  timings: { timeToFirstTokenMs: number };
}

const chatBody = (content: string, options: Record<string, unknown> = {}, stream = false) => ({
  messages: [{ role: 'user', content }],
  stream,
  options,
});

describe('generative answers (stories260k)', () => {
  it('generates from a packed, numbered context and reports the model', async () => {
    const scrape = async (name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${chat.server.url}/metrics`)).text())?.[1] ?? 0);
    const tokensBefore = await scrape('galen_tokens_generated_total');
    const res = await chat.post('/v1/chat', chatBody('What is gout?'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as AnswerBody;
    expect((await scrape('galen_tokens_generated_total')) - tokensBefore).toBe(body.usage.completionTokens);
    expect(body.mode).toBe('generative');
    expect(body.model.generator).toMatchObject({ name: 'stories260k', contextWindow: 512 });
    expect(body.usage.promptTokens).toBeGreaterThan(100);
    expect(body.usage.promptTokens).toBeLessThanOrEqual(512 - 40);
    expect(body.usage.completionTokens).toBeGreaterThan(0);
    expect(body.usage.completionTokens).toBeLessThanOrEqual(40);
    expect(['stop', 'length']).toContain(body.finishReason);
    expect(body.timings.timeToFirstTokenMs).toBeGreaterThan(0);
    expect(body.answer.trim()).toMatch(/Galen is not a doctor[^\n]*$/);
    // Whatever the model wrote, every surviving marker points at a given passage.
    const cited = new Set(body.citations.map((c) => c.n));
    for (const n of markers(body.answer)) expect(cited.has(n)).toBe(true);
    expect(Array.isArray(body.removedCitations)).toBe(true);
  });

  it('streams the generated text as it comes, citations first', async () => {
    const res = await chat.post('/v1/chat', chatBody('What are the symptoms of gout?', {}, true));
    const events = await readSse(res);
    expect(events[0]!.event).toBe('citations');
    const given = JSON.parse(events[0]!.data) as { citations: Array<{ n: number; externalId: string }>; mode: string };
    expect(given.mode).toBe('generative');
    expect(given.citations.length).toBeGreaterThan(0);
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(3);
    const done = JSON.parse(events.at(-1)!.data) as AnswerBody;
    expect(events.at(-1)!.event).toBe('done');
    expect(deltas.map((d) => (JSON.parse(d.data) as { text: string }).text).join('')).toBe(done.answer);
    for (const c of done.citations) expect(given.citations.map((g) => g.n)).toContain(c.n);
  });

  it('stops at a stop string', async () => {
    const free = (await (await chat.post('/v1/chat', chatBody('What is gout?', { seed: 7 }))).json()) as AnswerBody;
    const generated = free.answer.slice(0, free.answer.lastIndexOf('\n\n'));
    const word = generated.split(/\s+/).filter((w) => /^[a-z]{3,}$/.test(w))[1];
    expect(word).toBeTruthy();
    const stopped = (await (await chat.post('/v1/chat', chatBody('What is gout?', { seed: 7, stop: [` ${word}`] }))).json()) as AnswerBody;
    expect(stopped.finishReason).toBe('stop');
    const text = stopped.answer.slice(0, stopped.answer.lastIndexOf('\n\n'));
    expect(text.length).toBeLessThan(generated.length);
    expect(generated.startsWith(text)).toBe(true);
    expect(stopped.usage.completionTokens).toBeLessThan(free.usage.completionTokens);
  });

  it('answers 503 with Retry-After when the generation queue is full', async () => {
    const running = occupy();
    await running.stream[Symbol.asyncIterator]().next(); // decoding now (reading on does not end it)
    const queued = occupy();
    try {
      const res = await chat.post('/v1/chat', chatBody('What is gout?'));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BUSY');
      const stream = await chat.post('/v1/chat', chatBody('What is gout?', {}, true));
      expect(stream.status).toBe(503);
      const openai = await chat.post('/v1/chat/completions', { model: 'galen', messages: [{ role: 'user', content: 'What is gout?' }] });
      expect(openai.status).toBe(503);
      const metrics = await (await fetch(`${chat.server.url}/metrics`)).text();
      expect(metrics).toMatch(/^galen_queue_depth 1$/m);
      expect(metrics).toMatch(/^galen_generator_requests\{state="waiting"\} 1$/m);
      expect(metrics).toMatch(/^galen_generator_requests\{state="decoding"\} 1$/m);
      expect(Number(/^galen_generator_kv_cache_bytes (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    } finally {
      await running.release();
      await queued.release();
    }
    const after = await chat.post('/v1/chat', chatBody('What is gout?'));
    expect(after.status).toBe(200);
  });

  it('aborts the generation of a client that disconnects', async () => {
    const running = occupy();
    try {
      const res = await chat.post('/v1/chat', chatBody('What is gout?', { maxTokens: 40 }, true), {});
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(parseSse(new TextDecoder().decode(first.value))[0]!.event).toBe('citations');
      // The answer is queued behind the running generation; the client goes away.
      expect(model.load.waiting).toBe(1);
      await reader.cancel();
      for (let i = 0; i < 200 && model.load.waiting > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(model.load.waiting).toBe(0);
    } finally {
      await running.release();
    }
    for (let i = 0; i < 200 && !logLines.some((l) => l.msg === 'answer aborted'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(logLines.find((l) => l.msg === 'answer aborted')).toMatchObject({ mode: 'generative', finishReason: 'aborted' });
  });

  it('streams OpenAI chunks from the generator', async () => {
    const res = await chat.post('/v1/chat/completions', {
      model: 'galen',
      stream: true,
      max_tokens: 20,
      messages: [{ role: 'user', content: 'How is gout treated?' }],
    });
    const events = await readSse(res);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.data) as { choices: Array<{ delta: { content?: string }; finish_reason: string | null }> });
    expect(chunks.length).toBeGreaterThan(3);
    expect(['stop', 'length']).toContain(chunks.at(-1)!.choices[0]!.finish_reason);
  });

  it('drains an in-flight answer on shutdown, then refuses connections', async () => {
    const running = occupy();
    const res = await chat.post('/v1/chat', chatBody('What is gout?', {}, true));
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    expect(parseSse(text)[0]!.event).toBe('citations');
    const closing = chat.server.close();
    await running.release();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await closing;
    const events = parseSse(text);
    expect(events.at(-1)!.event).toBe('done');
    expect((JSON.parse(events.at(-1)!.data) as AnswerBody).answer).toMatch(/Galen is not a doctor/);
    await expect(fetch(`${chat.server.url}/healthz`)).rejects.toThrow();
  });
});
