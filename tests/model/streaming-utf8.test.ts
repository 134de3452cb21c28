import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncrementalDecoder, loadLanguageModel, type OnnxLanguageModel } from '../../model/index.js';
import { collect, STORIES } from './fixtures.js';

describe('incremental UTF-8 decoding through the byte-fallback tokenizer', () => {
  let model: OnnxLanguageModel;
  beforeAll(async () => {
    model = await loadLanguageModel(STORIES);
  });
  afterAll(() => model.close());

  const samples = [
    'héllo 🎉 世界',
    'Ärzte empfehlen: naïve café — 40 °C ✓',
    '👩‍⚕️ says 痛风 (gout) 💊💊 is treatable 🇫🇷',
    'a\u00A0b ∑ ∞ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  ];
  for (const text of samples) {
    it(`round-trips ${JSON.stringify(text)} token by token`, () => {
      const ids = model.tokenizer.encode(text, { addSpecialTokens: false });
      expect(ids.length).toBeGreaterThan([...text].length / 2); // many byte-fallback tokens
      const decoder = new IncrementalDecoder(model.tokenizer);
      const pieces = ids.map((id) => decoder.push(id));
      pieces.push(decoder.flush());
      for (const p of pieces) {
        expect(p).not.toContain('\uFFFD');
        // No piece ends inside a surrogate pair: each is well-formed UTF-16.
        expect(Buffer.from(p, 'utf8').toString('utf8')).toBe(p);
      }
      expect(pieces.join('')).toBe(text);
      expect(pieces.join('')).toBe(model.decode(ids));
      // The 4-byte emoji came out whole, after its four byte tokens.
      expect(pieces.filter((p) => p === '').length).toBeGreaterThan(0);
    });
  }

  it('flushes an incomplete sequence at the end as U+FFFD (the truth), never before', () => {
    const f0 = model.tokenizer.tokenId('<0xF0>')!;
    const decoder = new IncrementalDecoder(model.tokenizer);
    expect(decoder.push(model.tokenizer.tokenId('▁a')!)).toBe('a');
    expect(decoder.push(f0)).toBe('');
    expect(decoder.push(model.tokenizer.tokenId('<0x9F>')!)).toBe('');
    expect(decoder.flush()).toContain('\uFFFD');
  });

  it('streams pieces that concatenate to the result text and the decoded tokens', async () => {
    const stream = model.stream('Lily', { maxNewTokens: 60, temperature: 1, seed: 7 });
    const pieces = await collect(stream);
    const result = await stream.result;
    expect(pieces.map((p) => p.text).join('')).toBe(result.text);
    expect(result.text).toBe(model.decode(result.tokens));
    expect(pieces.filter((p) => p.tokenId >= 0).map((p) => p.tokenId)).toEqual(result.tokens);
  });
});
