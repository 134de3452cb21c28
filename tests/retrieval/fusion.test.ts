import { describe, expect, it } from 'vitest';
import { applySourceQuotas, reciprocalRankFusion, removeNearDuplicates } from '../../retrieval/fusion/index.js';

interface Hit {
  id: string;
  source: string;
  text: string;
}
const hit = (id: string, source = 'corpus', text = `text of ${id} with some other words`): Hit => ({ id, source, text });

describe('reciprocal rank fusion', () => {
  it('lifts what several retrievers agree on and keeps every provenance', () => {
    const fused = reciprocalRankFusion<Hit>(
      [
        { retriever: 'corpus', hits: [hit('a'), hit('b'), hit('c')], scoreOf: () => 7 },
        { retriever: 'vector', hits: [hit('c'), hit('d')] },
      ],
      { keyOf: (h) => h.id },
    );
    expect(fused.map((f) => f.item.id)).toEqual(['c', 'a', 'b', 'd']);
    expect(fused[0]!.retrievers).toEqual([
      { retriever: 'corpus', rank: 3, score: 7 },
      { retriever: 'vector', rank: 1 },
    ]);
    expect(fused[0]!.score).toBeCloseTo(1 / 63 + 1 / 61, 12);
  });

  it('applies list weights and counts an item once per retriever', () => {
    const fused = reciprocalRankFusion<Hit>(
      [
        { retriever: 'corpus', hits: [hit('a'), hit('a'), hit('b')] },
        { retriever: 'wikipedia', weight: 3, hits: [hit('w')] },
      ],
      { keyOf: (h) => h.id, k: 0 },
    );
    expect(fused.map((f) => [f.item.id, f.score])).toEqual([
      ['w', 3],
      ['a', 1],
      ['b', 1 / 3],
    ]);
    expect(fused[1]!.retrievers).toEqual([{ retriever: 'corpus', rank: 1 }]);
  });
});

describe('near-duplicate removal', () => {
  it('keeps the better-ranked copy and reports the merge', () => {
    const base = 'Gout is a common and complex form of arthritis that can affect anyone';
    const merged: string[] = [];
    const kept = removeNearDuplicates(
      [hit('a', 'x', base), hit('b', 'y', 'Something else entirely about asthma'), hit('c', 'z', `${base}.`)],
      {
        textOf: (h) => h.text,
        onMerge: (k, d) => merged.push(`${d.id}->${k.id}`),
      },
    );
    expect(kept.map((h) => h.id)).toEqual(['a', 'b']);
    expect(merged).toEqual(['c->a']);
  });

  it('tells Chinese passages apart and together', () => {
    const kept = removeNearDuplicates(['白带增多泛黄应该是患阴道炎了', '白带增多泛黄应该是患阴道炎了。', '高血压是常见的慢性病'], {
      textOf: (s) => s,
    });
    expect(kept).toEqual(['白带增多泛黄应该是患阴道炎了', '高血压是常见的慢性病']);
  });
});

describe('source quotas', () => {
  it('stops folding once the wanted number of passages is kept', () => {
    const texts = [
      'Gout is a form of arthritis.',
      'Gout is a form of arthritis!',
      'Asthma narrows the airways.',
      'Migraine causes headaches.',
      'Migraine causes headaches!',
    ];
    const merged: string[] = [];
    const kept = removeNearDuplicates(texts, { textOf: (s) => s, limit: 2, onMerge: (_k, d) => merged.push(d) });
    expect(kept).toEqual(['Gout is a form of arthritis.', 'Asthma narrows the airways.']);
    expect(merged).toEqual(['Gout is a form of arthritis!']);
    expect(removeNearDuplicates(texts, { textOf: (s) => s })).toHaveLength(3);
  });

  it('caps a source and fills from the others', () => {
    const hits = [hit('w1', 'wikipedia'), hit('w2', 'wikipedia'), hit('w3', 'wikipedia'), hit('c1'), hit('c2')];
    const out = applySourceQuotas(hits, { sourceOf: (h) => h.source, quotas: { wikipedia: 2 }, k: 3 });
    expect(out.map((h) => h.id)).toEqual(['w1', 'w2', 'c1']);
  });
});
