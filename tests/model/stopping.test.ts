import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, StopMatcher, type OnnxLanguageModel } from '../../model/index.js';
import { collect, STORIES } from './fixtures.js';

describe('stop strings, EOS ids and abort', () => {
  let model: OnnxLanguageModel;
  beforeAll(async () => {
    model = await loadLanguageModel(STORIES);
  });
  afterAll(() => model.close());

  const bos = { tokenIds: [1] };

  it('ends before a stop string, which never reaches the stream', async () => {
    const stream = model.stream(bos, { maxNewTokens: 48, temperature: 0, stop: ['Lily', 'never appears'] });
    const pieces = await collect(stream);
    const r = await stream.result;
    expect(r.finishReason).toBe('stop');
    expect(r.text).toBe('Once upon a time, there was a little girl named ');
    expect(pieces.map((p) => p.text).join('')).toBe(r.text);
    expect(pieces.some((p) => p.text.includes('Li'))).toBe(false);
  });

  it('finds a stop string spanning tokens, and releases held text when it does not complete', async () => {
    const r = await model.generate(bos, { maxNewTokens: 48, temperature: 0, stop: ['time, there'] });
    expect(r.text).toBe('Once upon a ');
    const held = await model.generate(bos, { maxNewTokens: 5, temperature: 0, stop: ['time, not'] });
    expect(held.finishReason).toBe('length');
    expect(held.text).toBe('Once upon a time,');
  });

  it('ends on extra EOS ids without returning the EOS token', async () => {
    const r = await model.generate(bos, { maxNewTokens: 48, temperature: 0, eosTokenIds: [261] }); // '▁a'
    expect(r.finishReason).toBe('eos');
    expect(r.tokens).toEqual([403, 407]);
    expect(r.text).toBe('Once upon');
  });

  it('StopMatcher holds back only possible stop prefixes', () => {
    const m = new StopMatcher(['\nUser:', '###']);
    expect(m.push('Hello\nUs')).toEqual({ text: 'Hello', stopped: false });
    expect(m.push('ually #')).toEqual({ text: '\nUsually ', stopped: false });
    expect(m.push('## x')).toEqual({ text: '', stopped: true });
  });

  it('an AbortSignal stops within one step and frees the request', async () => {
    const controller = new AbortController();
    const stream = model.stream(bos, { maxNewTokens: 48, temperature: 0, signal: controller.signal });
    let seen = 0;
    for await (const piece of stream) {
      if (piece.tokenId >= 0) seen++;
      if (seen === 5) controller.abort();
    }
    const r = await stream.result;
    expect(r.finishReason).toBe('aborted');
    expect(r.tokens.length).toBeGreaterThanOrEqual(5);
    expect(r.tokens.length).toBeLessThanOrEqual(6);
    expect(model.load).toEqual({ waiting: 0, prefilling: 0, decoding: 0 });
    expect(model.kvCacheBytes).toBe(0);
    // The model still serves the next request exactly.
    expect((await model.generate(bos, { maxNewTokens: 3, temperature: 0 })).tokens).toEqual([403, 407, 261]);
  });

  it('leaving the loop early aborts too', async () => {
    const stream = model.stream(bos, { maxNewTokens: 48, temperature: 0 });
    for await (const piece of stream) if (piece.tokenId >= 0) break;
    const r = await stream.result;
    expect(r.finishReason).toBe('aborted');
    expect(r.tokens.length).toBeLessThanOrEqual(2);
    expect(model.load.decoding).toBe(0);
  });

  it('an already aborted signal generates nothing', async () => {
    const r = await model.generate(bos, { signal: AbortSignal.abort() });
    expect(r).toMatchObject({ finishReason: 'aborted', tokens: [], text: '' });
  });
});
