import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, OpenAiCompatibleModel, type LanguageModel, type OnnxLanguageModel } from '../../model/index.js';
import { STORIES } from './fixtures.js';
import { TestUpstream } from './openai-compatible/test-upstream.js';

/** Every LanguageModel backend must pass these; each factory returns a fresh model and its cleanup. */
const backends: Array<[string, () => Promise<{ model: LanguageModel; cleanup: () => Promise<void> }>]> = [
  [
    'onnx',
    async () => {
      const model = await loadLanguageModel(STORIES);
      return { model, cleanup: () => model.close() };
    },
  ],
  [
    'openai-compatible',
    async () => {
      const engine = await loadLanguageModel(STORIES);
      const upstream = await TestUpstream.start(engine);
      const model = await OpenAiCompatibleModel.open({ urls: [upstream.url] });
      return {
        model,
        cleanup: async () => {
          await model.close();
          await upstream.close();
          await engine.close();
        },
      };
    },
  ],
];

describe.each(backends)('LanguageModel contract: %s', (_name, create) => {
  let model: LanguageModel;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ model, cleanup } = await create()));
  afterAll(async () => cleanup());

  it('says what it is and counts tokens', async () => {
    expect(model.modelId).toBeTruthy();
    expect(model.contextWindow).toBe(512);
    const count = await model.countTokens('Once upon a time there was a little girl');
    expect(count.tokens).toBeGreaterThan(3);
    expect(typeof count.estimated).toBe('boolean');
    expect((await model.countTokens({ messages: [{ role: 'user', content: 'Once upon a time' }] })).tokens).toBeGreaterThan(3);
  });

  it('streams text pieces that make up the result, with usage', async () => {
    const stream = await model.stream('Once upon a time', { maxNewTokens: 24, temperature: 0 });
    const pieces: string[] = [];
    for await (const p of stream) pieces.push(p.text);
    const result = await stream.result;
    expect(pieces.filter(Boolean).length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe(result.text);
    expect(result.usage.promptTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeLessThanOrEqual(24);
  });

  it('stops at max tokens with finishReason length', async () => {
    const result = await (await model.stream('Once upon a time', { maxNewTokens: 5, temperature: 0 })).result;
    expect(result.usage.completionTokens).toBe(5);
    expect(result.finishReason).toBe('length');
  });

  it('stops at a stop string and leaves it out', async () => {
    const free = await (await model.stream('Once upon a time', { maxNewTokens: 40, temperature: 0 })).result;
    const word = free.text.split(/\s+/).filter((w) => /^[a-z]{3,}$/.test(w))[1]!;
    expect(word).toBeTruthy();
    const stopped = await (await model.stream('Once upon a time', { maxNewTokens: 40, temperature: 0, stop: [word] })).result;
    expect(stopped.finishReason === 'stop' || stopped.finishReason === 'eos').toBe(true);
    expect(stopped.text).not.toContain(word);
    expect(free.text.startsWith(stopped.text)).toBe(true);
  });

  it('ends within one step of an abort', async () => {
    const controller = new AbortController();
    const stream = await model.stream('Once upon a time', { maxNewTokens: 200, temperature: 0 }, controller.signal);
    let after = 0;
    for await (const p of stream) {
      if (controller.signal.aborted) after += p.text ? 1 : 0;
      else if (p.text) controller.abort();
    }
    expect((await stream.result).finishReason).toBe('aborted');
    expect(after).toBeLessThanOrEqual(1);
  });

  it('refuses bad options and requests after close with a ModelError', async () => {
    await expect(Promise.resolve().then(() => model.stream('Once', { maxNewTokens: 0 }))).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    const fresh = await create();
    await fresh.model.close();
    await expect(Promise.resolve().then(() => fresh.model.stream('Once'))).rejects.toMatchObject({ code: 'CLOSED' });
    await fresh.cleanup();
  });
});

describe('openai-compatible backend', () => {
  let engine: OnnxLanguageModel;
  beforeAll(async () => {
    engine = await loadLanguageModel(STORIES);
  });
  afterAll(async () => engine.close());

  it('counts with the tokenizer folder, the engine /tokenize, or a stated estimate', async () => {
    const upstream = await TestUpstream.start(engine);
    try {
      const text = 'Once upon a time there was a little girl named Lily';
      const exact = engine.encode(text).length;
      const folder = await OpenAiCompatibleModel.open({ urls: [upstream.url], tokenizer: STORIES });
      expect(folder.tokenCountSource).toBe('tokenizer');
      expect(await folder.countTokens(text)).toEqual({ tokens: exact, estimated: false });
      const viaEngine = await OpenAiCompatibleModel.open({ urls: [upstream.url] });
      expect(viaEngine.tokenCountSource).toBe('engine');
      expect(await viaEngine.countTokens(text)).toEqual({ tokens: exact, estimated: false });
      // An engine that stops counting (busy, restarting) leaves packing with the estimate, not an error.
      upstream.tokenize = false;
      const fallback = await viaEngine.countTokens(`${text} again`);
      expect(fallback.estimated).toBe(true);
      expect(fallback.tokens).toBeGreaterThanOrEqual(engine.encode(`${text} again`).length);
      expect(await viaEngine.countTokens(text)).toEqual({ tokens: exact, estimated: false }); // counted before: kept
      const estimated = await OpenAiCompatibleModel.open({ urls: [upstream.url] });
      expect(estimated.tokenCountSource).toBe('estimate');
      const guess = await estimated.countTokens(text);
      expect(guess.estimated).toBe(true);
      expect(guess.tokens).toBeGreaterThanOrEqual(exact); // conservative
    } finally {
      await upstream.close();
    }
  });

  it('renders the prompt itself for /v1/completions and needs a tokenizer for it', async () => {
    const upstream = await TestUpstream.start(engine);
    try {
      await expect(OpenAiCompatibleModel.open({ urls: [upstream.url], api: 'completions' })).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
      });
      const model = await OpenAiCompatibleModel.open({ urls: [upstream.url], api: 'completions', tokenizer: STORIES });
      const messages = [{ role: 'user' as const, content: 'Tell me a story.' }];
      const remote = await (await model.stream({ messages }, { maxNewTokens: 12, temperature: 0 })).result;
      const local = await engine.generate({ messages }, { maxNewTokens: 12, temperature: 0 });
      expect(remote.text).toBe(local.text);
    } finally {
      await upstream.close();
    }
  });

  it('retries on another upstream before the first token, and a breaker takes a failing one out', async () => {
    const bad = await TestUpstream.start(engine);
    const good = await TestUpstream.start(engine);
    try {
      const model = await OpenAiCompatibleModel.open({
        urls: [bad.url, good.url],
        breakerFailures: 2,
        breakerCooldownMs: 60_000,
        retryBackoffMs: 1,
      });
      bad.mode = 'fail';
      for (let i = 0; i < 4; i++) {
        const result = await (await model.stream('Once upon a time', { maxNewTokens: 4 })).result;
        expect(result.usage.completionTokens).toBe(4);
      }
      expect(bad.requests).toBe(2); // then its breaker is open
      expect(model.upstreamStatus[0]).toMatchObject({ breaker: 'open', errors: 2 });
      expect(good.requests).toBe(4);
    } finally {
      await bad.close();
      await good.close();
    }
  });

  it.each(['stall', 'malformed'] as const)('treats a %s engine as a failure before the first token', async (mode) => {
    const bad = await TestUpstream.start(engine);
    const good = await TestUpstream.start(engine);
    try {
      bad.mode = mode;
      const model = await OpenAiCompatibleModel.open({ urls: [bad.url, good.url], firstTokenTimeoutMs: 300, retryBackoffMs: 1 });
      const result = await (await model.stream('Once upon a time', { maxNewTokens: 4 })).result;
      expect(result.usage.completionTokens).toBe(4);
      expect(bad.requests + good.requests).toBeGreaterThanOrEqual(2);
    } finally {
      await bad.close();
      await good.close();
    }
  });

  it.each(['drop', 'malformed-late'] as const)(
    'ends with GENERATION_FAILED when the engine %s mid-stream, keeping what was said',
    async (mode) => {
      const upstream = await TestUpstream.start(engine);
      try {
        upstream.mode = mode;
        const model = await OpenAiCompatibleModel.open({ urls: [upstream.url] });
        const stream = await model.stream('Once upon a time', { maxNewTokens: 40, temperature: 0 });
        const pieces: string[] = [];
        await expect(
          (async () => {
            for await (const p of stream) pieces.push(p.text);
          })(),
        ).rejects.toMatchObject({ code: 'GENERATION_FAILED' });
        expect(pieces.length).toBe(2);
        await expect(stream.result).rejects.toMatchObject({ code: 'GENERATION_FAILED' });
      } finally {
        await upstream.close();
      }
    },
  );

  it('says UNAVAILABLE when every upstream is down, and closes the upstream request on abort', async () => {
    const upstream = await TestUpstream.start(engine);
    try {
      const model = await OpenAiCompatibleModel.open({ urls: [upstream.url], retryBackoffMs: 1 });
      const controller = new AbortController();
      const stream = await model.stream('Once upon a time', { maxNewTokens: 300 }, controller.signal);
      for await (const p of stream) if (p.text) break; // a consumer that goes away
      await expect.poll(() => upstream.closedEarly).toBe(1);
      upstream.mode = 'fail';
      await expect(model.stream('Once')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await upstream.close();
    }
  });

  it('spreads concurrent requests over two upstreams', async () => {
    const a = await TestUpstream.start(engine);
    const b = await TestUpstream.start(engine);
    try {
      const model = await OpenAiCompatibleModel.open({ urls: [a.url, b.url] });
      await Promise.all(Array.from({ length: 8 }, async () => (await model.stream('Once upon a time', { maxNewTokens: 16 })).result));
      expect(a.requests).toBe(4);
      expect(b.requests).toBe(4);
      // One at a time, the tie between two idle engines is taken in turn.
      for (let i = 0; i < 4; i++) await (await model.stream('Once upon a time', { maxNewTokens: 2 })).result;
      expect(a.requests).toBe(6);
      expect(b.requests).toBe(6);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
