import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, ModelError, type GenerationResult, type OnnxLanguageModel } from '../../model/index.js';
import { collect, REFERENCE, STORIES } from './fixtures.js';

const greedy = { maxNewTokens: 48, temperature: 0 };
const lily = { tokenIds: REFERENCE.lily.prompt_ids };
const bos = { tokenIds: REFERENCE.bos.prompt_ids };

/** Resolves after the stream has produced `n` pieces (consuming it to the end in the background). */
function afterPieces(stream: AsyncIterable<unknown>, n: number): Promise<void> {
  return new Promise((resolve) => {
    void (async () => {
      let seen = 0;
      for await (const _ of stream) if (++seen === n) resolve();
    })()
      .catch(() => undefined)
      .finally(resolve);
  });
}

// Both ways of getting a run's keys and values: only the new ones, or present.* whole.
for (const kvOutputs of ['new', 'present'] as const)
  describe(`concurrent requests share one model (kvOutputs ${kvOutputs})`, () => {
    let model: OnnxLanguageModel;
    beforeAll(async () => {
      model = await loadLanguageModel(STORIES, { maxBatchSize: 8, kvOutputs });
    });
    afterAll(() => model.close());

    it('reproduces the reference ids batched alongside requests of other lengths that join and leave', async () => {
      const before = { ...model.stats };
      const others: Array<Promise<GenerationResult>> = [
        model.generate('Tom', { maxNewTokens: 10, temperature: 0.9, seed: 1 }),
        model.generate('Once upon a time there was a big dog named Max. Max liked to run in the park with his friend', {
          maxNewTokens: 70,
          temperature: 0.9,
          seed: 2,
        }),
      ];
      const lilyStream = model.stream(lily, greedy);
      const bosStream = model.stream(bos, { ...greedy, prefillChunkTokens: 1 });
      // Join mid-flight, with longer and shorter caches than the batch.
      await afterPieces(lilyStream, 12);
      others.push(
        model.generate('The sun was shining and the birds were singing. Sue and her mom went to the shop to buy some milk and bread.', {
          maxNewTokens: 30,
          temperature: 0.7,
          seed: 3,
        }),
      );
      others.push(model.generate({ tokenIds: [1, 317] }, { maxNewTokens: 5, temperature: 0 }));
      const lilyToken = model.stream(lily, { ...greedy, prefillChunkTokens: 1 });
      const [a, b, c] = await Promise.all([lilyStream.result, bosStream.result, lilyToken.result, ...others]);
      expect(a!.tokens).toEqual(REFERENCE.lily.base_greedy);
      expect(b!.tokens).toEqual(REFERENCE.bos.base_greedy);
      expect(c!.tokens).toEqual(REFERENCE.lily.base_greedy);
      const steps = model.stats.decodeSteps - before.decodeSteps;
      const rows = model.stats.decodedRows - before.decodedRows;
      expect(model.stats.maxBatch).toBeGreaterThanOrEqual(4);
      expect(rows / steps).toBeGreaterThan(2); // decode steps were shared
      expect(model.load).toEqual({ waiting: 0, prefilling: 0, decoding: 0 });
    });

    it('many identical greedy requests at once all get the reference', async () => {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => model.generate(i % 2 ? lily : bos, greedy)));
      for (const [i, r] of results.entries()) expect(r.tokens).toEqual(i % 2 ? REFERENCE.lily.base_greedy : REFERENCE.bos.base_greedy);
    });

    it('a request never waits for another to finish', async () => {
      const order: string[] = [];
      const long = model.stream(bos, { maxNewTokens: 48, temperature: 0 }); // no EOS in these 48
      void long.result.then(() => order.push('long'));
      await afterPieces(long, 3);
      const short = await model.generate(lily, { maxNewTokens: 5, temperature: 0 });
      order.push('short');
      expect(short.tokens).toEqual(REFERENCE.lily.base_greedy.slice(0, 5));
      expect((await long.result).tokens).toEqual(REFERENCE.bos.base_greedy);
      expect(order).toEqual(['short', 'long']);
    });

    it('aborting one batched request leaves the others exact', async () => {
      const controller = new AbortController();
      const victim = model.stream(bos, { ...greedy, signal: controller.signal });
      const keep = model.stream(lily, greedy);
      await afterPieces(victim, 8);
      const held = model.kvCacheBytes;
      expect(held).toBeGreaterThan(0);
      controller.abort();
      expect((await victim.result).finishReason).toBe('aborted');
      expect((await keep.result).tokens).toEqual(REFERENCE.lily.base_greedy);
      expect(model.kvCacheBytes).toBe(0);
    });

    // Tokens per second are the benchmark's business (npm run bench -- --only generation); here,
    // that concurrent requests share decode steps instead of taking turns.
    it('concurrent requests share decode steps', async () => {
      const before = { ...model.stats };
      const rs = await Promise.all(
        Array.from({ length: 8 }, (_, i) => model.generate(bos, { maxNewTokens: 64, temperature: 0.8, seed: i, eosTokenIds: [] })),
      );
      expect(rs.map((r) => r.tokens.length)).toEqual(Array(8).fill(64));
      // The first token of each comes from its prefill, the other 63 from decode steps.
      expect(model.stats.decodedRows - before.decodedRows).toBe(8 * 63);
      // Prefills are interleaved one per step, so the last request joins at most 8 steps late.
      expect(model.stats.decodeSteps - before.decodeSteps).toBeLessThanOrEqual(63 + 8);
    });
  });

describe('long prompts', () => {
  let model: OnnxLanguageModel;
  beforeAll(async () => {
    model = await loadLanguageModel(STORIES, { prefillChunkTokens: 16 });
  });
  afterAll(() => model.close());

  it('are read in chunks of the model default, between the decode steps of others, and stay exact', async () => {
    const story = 'The sun was shining and the birds were singing. Sue and her mom went to the shop to buy some milk and bread. ';
    const long = { tokenIds: model.encode(story.repeat(3)) };
    const chunks = Math.ceil(long.tokenIds.length / 16);
    expect(chunks).toBeGreaterThan(4);
    let before = { ...model.stats };
    const whole = await model.generate(long, { maxNewTokens: 20, temperature: 0, prefillChunkTokens: Infinity });
    expect(model.stats.prefillRuns - before.prefillRuns).toBe(1);

    const running = model.stream(bos, greedy);
    await afterPieces(running, 3);
    before = { ...model.stats };
    const chunked = await model.generate(long, { maxNewTokens: 20, temperature: 0 });
    expect(model.stats.prefillRuns - before.prefillRuns).toBe(chunks);
    // The running request got a decode step after each chunk, not only after the whole prompt.
    expect(model.stats.decodeSteps - before.decodeSteps).toBeGreaterThanOrEqual(chunks + 19);
    expect(chunked.tokens).toEqual(whole.tokens);
    expect((await running.result).tokens).toEqual(REFERENCE.bos.base_greedy);
  });

  it('refuse a bad prefillChunkTokens', async () => {
    await expect(loadLanguageModel(STORIES, { prefillChunkTokens: 0 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(/prefillChunkTokens/),
    });
    await expect(model.generate(bos, { prefillChunkTokens: 2.5 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});

describe('bounded queue', () => {
  it('answers BUSY when the queue is full and serves the rest', async () => {
    const model = await loadLanguageModel(STORIES, { maxBatchSize: 1, maxQueuedRequests: 1 });
    try {
      const first = model.stream(bos, greedy);
      const second = model.stream(lily, greedy);
      let error: unknown;
      try {
        model.stream(bos, greedy);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).code).toBe('BUSY');
      expect((await first.result).tokens).toEqual(REFERENCE.bos.base_greedy);
      expect((await second.result).tokens).toEqual(REFERENCE.lily.base_greedy);
      await collect(first);
      // Room again once they finished.
      expect((await model.generate(bos, { maxNewTokens: 2, temperature: 0 })).tokens).toEqual([403, 407]);
    } finally {
      await model.close();
    }
  });

  it('close() aborts running and queued requests', async () => {
    const model = await loadLanguageModel(STORIES, { maxBatchSize: 1 });
    const a = model.stream(bos, greedy);
    const b = model.stream(bos, greedy);
    await afterPieces(a, 2);
    await model.close();
    expect((await a.result).finishReason).toBe('aborted');
    expect((await b.result).finishReason).toBe('aborted');
  });
});
