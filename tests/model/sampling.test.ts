import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmax, loadLanguageModel, Sampler, SeededRandom, type OnnxLanguageModel } from '../../model/index.js';
import { REFERENCE, STORIES } from './fixtures.js';

describe('sampling', () => {
  let model: OnnxLanguageModel;
  beforeAll(async () => {
    model = await loadLanguageModel(STORIES);
  });
  afterAll(() => model.close());

  const opts = { maxNewTokens: 40, temperature: 1.0, topK: 40, topP: 0.95 };

  it('gives the same text for the same seed and reports the seed', async () => {
    const a = await model.generate('Once upon a time', { ...opts, seed: 1234 });
    const b = await model.generate('Once upon a time', { ...opts, seed: 1234 });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.text).toBe(b.text);
    expect(a.seed).toBe(1234);
  });

  it('gives different text for different seeds', async () => {
    const texts = new Set<string>();
    for (const seed of [1, 2, 3, 4]) texts.add((await model.generate('Once upon a time', { ...opts, seed })).text);
    expect(texts.size).toBeGreaterThan(1);
  });

  it('reports a random seed that reproduces the run', async () => {
    const a = await model.generate('Tom', opts);
    const b = await model.generate('Tom', { ...opts, seed: a.seed });
    expect(b.tokens).toEqual(a.tokens);
  });

  it('is greedy at temperature 0 whatever the seed, and with top-k 1', async () => {
    const ref = REFERENCE.lily;
    for (const o of [
      { temperature: 0, seed: 9 },
      { temperature: 0.8, topK: 1, seed: 5 },
    ]) {
      const r = await model.generate({ tokenIds: ref.prompt_ids }, { maxNewTokens: 48, ...o });
      expect(r.tokens).toEqual(ref.base_greedy);
    }
  });

  it('a repetition penalty changes the greedy text and repeats less', async () => {
    const plain = await model.generate({ tokenIds: [1] }, { maxNewTokens: 48, temperature: 0 });
    const penalised = await model.generate({ tokenIds: [1] }, { maxNewTokens: 48, temperature: 0, repetitionPenalty: 1.5 });
    expect(penalised.tokens).not.toEqual(plain.tokens);
    expect(new Set(penalised.tokens).size).toBeGreaterThan(new Set(plain.tokens).size);
  });

  it('rejects invalid options with INVALID_OPTIONS', () => {
    for (const bad of [{ temperature: -1 }, { topP: 0 }, { topK: 1.5 }, { maxNewTokens: 0 }, { seed: -3 }, { contextWindow: 100_000 }]) {
      expect(() => model.stream('x', bad)).toThrowError(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    }
  });
});

describe('Sampler', () => {
  const logits = () => Float32Array.from([1, 3, 2, 0.5, 2.9]);

  it('argmax takes the lowest index on ties', () => {
    expect(argmax([1, 5, 5, 2])).toBe(1);
  });

  it('top-p small enough keeps only the most likely token', () => {
    const s = new Sampler({ temperature: 1, topK: 0, topP: 0.01, repetitionPenalty: 1, seed: 3 }, 5);
    for (let i = 0; i < 20; i++) expect(s.sample(logits())).toBe(1);
  });

  it('top-k 2 draws only the two most likely tokens, both of them', () => {
    const s = new Sampler({ temperature: 1, topK: 2, topP: 1, repetitionPenalty: 1, seed: 3 }, 5);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(s.sample(logits()));
    expect([...seen].sort()).toEqual([1, 4]);
  });

  it('the repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
    const s = new Sampler({ temperature: 0, topK: 0, topP: 1, repetitionPenalty: 2, seed: 0 }, 5, [1]);
    const l = logits();
    expect(s.sample(l)).toBe(4);
    expect(l[1]).toBe(1.5);
  });

  it('SeededRandom is reproducible and in [0, 1)', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});
