import { describe, expect, it } from 'vitest';
import type { Evidence } from '../../../retrieval/pipeline/index.js';
import { packContext, renderPassage } from '../../../server/answer/index.js';

function evidence(id: string, text: string, score: number): Evidence {
  return {
    key: `chunk:${id}`,
    externalId: id,
    source: 'test',
    title: 'Gout',
    section: '',
    url: `https://example.org/${id}`,
    text,
    license: 'CC BY 4.0',
    attribution: 'Example',
    authority: 'reference',
    score,
    retrievers: [],
  };
}

// Words as tokens: a stand-in tokenizer whose counts are easy to reason about.
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const SENTENCES =
  'Gout is a form of arthritis. It causes sudden, intense joint pain. Attacks often start at night. The big toe is affected most often. Uric acid crystals cause it.';

describe('context packing for small windows', () => {
  it('trims a passage to its leading sentences before dropping it', async () => {
    const packed = await packContext([evidence('a', SENTENCES, 1)], { budgetTokens: 14, countTokens: words, render: (e) => e.text });
    expect(packed.passages).toHaveLength(1);
    expect(packed.passages[0]!.text).toBe('Gout is a form of arthritis. It causes sudden, intense joint pain.');
    expect(packed.trimmed).toEqual(['a']);
    expect(packed.dropped).toEqual([]);
    expect(packed.tokens).toBeLessThanOrEqual(14);
  });

  it('always keeps at least one passage, cut at a word, when not even a sentence fits', async () => {
    const long = evidence('long', `${'word '.repeat(60)}end.`, 1);
    const packed = await packContext([long, evidence('b', SENTENCES, 0.5)], {
      budgetTokens: 10,
      countTokens: words,
      render: (e) => e.text,
    });
    expect(packed.passages.length).toBeGreaterThan(0);
    expect(packed.tokens).toBeLessThanOrEqual(10);
    // The second passage's first sentence fits, so it is kept trimmed; the long one is dropped.
    expect(packed.passages.map((p) => p.externalId)).toEqual(['b']);
    const alone = await packContext([long], { budgetTokens: 10, countTokens: words, render: (e) => e.text });
    expect(alone.passages).toHaveLength(1);
    expect(alone.passages[0]!.text).toMatch(/…$/);
    expect(alone.tokens).toBeLessThanOrEqual(10);
    expect(alone.dropped).toEqual([]);
  });

  it('packs real rendered passages into a 512-token-model budget instead of dropping them all', async () => {
    const passages = [1, 2, 3].map((i) => evidence(`p${i}`, `${SENTENCES} `.repeat(20), 1 - i / 10));
    const count = (t: string) => Math.ceil(t.length / 4);
    const packed = await packContext(passages, { budgetTokens: 150, countTokens: count, render: renderPassage, maxPassages: 5 });
    expect(packed.passages.length).toBeGreaterThan(0);
    expect(packed.tokens).toBeLessThanOrEqual(150);
  });
});
