import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore, LexicalSearch } from '../../knowledge/index.js';
import type { RerankingModel } from '../../model/reranking/index.js';
import { scoreFusion } from '../../retrieval/fusion/index.js';
import { RetrievalPipeline, type VectorSearcher } from '../../retrieval/pipeline/index.js';
import { openVectorRetrieval, type VectorRetrieval } from '../../retrieval/vector/index.js';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/paths.js';

// A real store (MedQuAD GHR files) with its real vector index (built-in LSA, hnswlib).
const tmp = tempDir();
let store: KnowledgeStore;
let vectors: VectorRetrieval;

beforeAll(async () => {
  const dataDir = join(tmp.dir, 'data');
  store = KnowledgeStore.open({ dataDir });
  await ingest(store, { source: 'ghr', paths: [copyMedquadSample(tmp.dir, 60)] });
  vectors = await openVectorRetrieval({ dataDir, store, logger: { info: () => {}, warn: () => {} }, lsa: { dimension: 48 } });
  await vectors.sync();
});

afterAll(() => {
  vectors.close();
  store.close();
  tmp.cleanup();
});

/** A test double of the reranking interface: scores passages by how many question words they contain. */
class TermOverlapReranker implements RerankingModel {
  readonly id = 'term-overlap';
  calls = 0;
  async score(query: string, passages: readonly string[]): Promise<number[]> {
    this.calls++;
    const words = new Set(query.toLowerCase().match(/\p{L}+/gu) ?? []);
    return passages.map((p) => (p.toLowerCase().match(/\p{L}+/gu) ?? []).filter((w) => words.has(w)).length);
  }
}

describe('score fusion', () => {
  it('adds weighted, normalised scores and keeps every list’s provenance', () => {
    const fused = scoreFusion(
      [
        {
          retriever: 'corpus',
          hits: [
            { k: 'a', s: 10 },
            { k: 'b', s: 9 },
            { k: 'c', s: 5 },
          ],
          scoreOf: (h) => h.s,
          normalize: 'max',
        },
        {
          retriever: 'vector',
          hits: [
            { k: 'b', s: 0.9 },
            { k: 'd', s: 0.8 },
          ],
          scoreOf: (h) => h.s,
          weight: 0.5,
          rescored: new Map([
            ['a', 0.1],
            ['x', 1],
          ]),
        },
      ],
      { keyOf: (h) => h.k },
    );
    expect(fused.map((f) => f.item.k)).toEqual(['b', 'a', 'c', 'd']);
    expect(fused[0]!.score).toBeCloseTo(0.9 + 0.45);
    expect(fused[1]!.score).toBeCloseTo(1 + 0.05);
    expect(fused[0]!.retrievers).toEqual([
      { retriever: 'corpus', rank: 2, score: 9 },
      { retriever: 'vector', rank: 1, score: 0.9 },
    ]);
    // Re-scored items gain score but no provenance; keys no earlier list holds are ignored.
    expect(fused[1]!.retrievers.map((p) => p.retriever)).toEqual(['corpus']);
    expect(fused.some((f) => f.item.k === 'x')).toBe(false);
    const z = scoreFusion(
      [
        {
          retriever: 'v',
          hits: [
            { k: 'a', s: 3 },
            { k: 'b', s: 1 },
          ],
          scoreOf: (h) => h.s,
          normalize: { mean: 2, sd: 1 },
        },
      ],
      { keyOf: (h) => h.k },
    );
    expect(z.map((f) => f.score)).toEqual([1, -1]);
  });
});

describe('the pipeline with vectors and a reranker', () => {
  it('fuses corpus and vector hits with both retrievers in the provenance', async () => {
    // A searcher that always runs the nearest-neighbour search (it ignores the skip question).
    const searching: VectorSearcher = { search: (q, k, ids) => vectors.searcher.search(q, k, ids) };
    const pipeline = new RetrievalPipeline({ store, vector: searching });
    const result = await pipeline.retrieve('Which gene mutations lead to Aarskog-Scott syndrome?', { k: 10 });
    expect(result.hits).toHaveLength(10);
    expect(result.hits[0]!.title).toBe('Aarskog-Scott syndrome');
    expect(result.timings.vector).toBeGreaterThanOrEqual(0);
    expect(result.hits.every((h) => typeof h.similarity === 'number')).toBe(true);
    const both = result.hits.filter(
      (h) => h.retrievers.some((p) => p.retriever === 'corpus') && h.retrievers.some((p) => p.retriever === 'vector'),
    );
    expect(both.length).toBeGreaterThan(0);
    for (const hit of result.hits) {
      for (const p of hit.retrievers) {
        expect(p.rank).toBeGreaterThan(0);
        expect(typeof p.score).toBe('number');
      }
    }
    // Vectors alone answer too, with cosine scores.
    const dense = await pipeline.retrieve('Which gene mutations lead to Aarskog-Scott syndrome?', { k: 5, sources: ['vector'] });
    expect(dense.hits).toHaveLength(5);
    expect(
      dense.hits.every((h) => h.retrievers.length === 1 && h.retrievers[0]!.retriever === 'vector' && h.retrievers[0]!.score! <= 1),
    ).toBe(true);
  });

  it('skips the nearest-neighbour search only where no nearest chunk could make the candidates', async () => {
    const asked: boolean[] = [];
    const searching: VectorSearcher = { search: (q, k, ids) => vectors.searcher.search(q, k, ids) };
    const watched: VectorSearcher = {
      search: (q, k, ids, skip) => vectors.searcher.search(q, k, ids, skip && ((s) => (asked.push(skip(s)), asked.at(-1)!))),
    };
    for (const [question, options] of [
      ['Which gene mutations lead to Aarskog-Scott syndrome?', { candidates: 100 }],
      ['Is Alport syndrome inherited?', { candidates: 30 }],
      // Dense evidence weighted high enough for a nearest chunk to beat the last BM25 candidates.
      ['Is Alport syndrome inherited?', { candidates: 30, vectorWeight: 0.5 }],
    ] as const) {
      const always = await new RetrievalPipeline({ store, vector: searching }, options).retrieve(question, { k: 10 });
      const skipping = await new RetrievalPipeline({ store, vector: watched }, options).retrieve(question, { k: 10 });
      expect(skipping.hits.map((h) => h.key)).toEqual(always.hits.map((h) => h.key));
      skipping.hits.forEach((h, i) => {
        expect(h.score).toBeCloseTo(always.hits[i]!.score, 6);
        expect(h.similarity).toBeCloseTo(always.hits[i]!.similarity!, 6);
      });
    }
    // The search was skipped for some of these questions, and run for others.
    expect(asked).toContain(true);
    expect(asked).toContain(false);
  });

  it('ranks as BM25 alone when dense evidence is weighted 0', async () => {
    const question = 'How common is Alport syndrome?';
    const off = await new RetrievalPipeline({ store, vector: vectors.searcher }, { vectorWeight: 0 }).retrieve(question, { k: 10 });
    const bm25 = new LexicalSearch(store).search(off.query, { k: 30 }).hits.map((h) => h.chunkId);
    expect(off.hits.map((h) => h.chunkId)).toEqual(bm25.filter((id) => off.hits.some((h) => h.chunkId === id)).slice(0, 10));
    expect(off.hits.every((h) => h.retrievers.every((p) => p.retriever === 'corpus'))).toBe(true);
  });

  it('lets dense evidence reorder close BM25 candidates', async () => {
    const question = 'Alport syndrome';
    const plain = await new RetrievalPipeline({ store }).retrieve(question, { k: 10 });
    // A searcher that knows BM25's second hit is the answer: far more similar than any other candidate.
    const target = plain.hits[1]!.chunkId!;
    const calls: Array<readonly number[]> = [];
    const oracle: VectorSearcher = {
      search: async (_q, _k, ids = []) => {
        calls.push(ids);
        return { hits: [{ chunkId: target, score: 0.9 }], similarities: new Map(ids.map((id) => [id, id === target ? 0.9 : 0.1])) };
      },
    };
    const fused = await new RetrievalPipeline({ store, vector: oracle }).retrieve(question, { k: 10 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain(plain.hits[0]!.chunkId);
    expect(fused.hits[0]!.chunkId).toBe(target);
    expect(fused.hits[1]!.chunkId).toBe(plain.hits[0]!.chunkId);
    expect(fused.hits[0]!.retrievers.map((p) => p.retriever)).toEqual(['corpus', 'vector']);
    // The rest keep BM25's order: equally similar, dense evidence cannot separate them.
    expect(fused.hits.slice(2).map((h) => h.chunkId)).toEqual(plain.hits.slice(2).map((h) => h.chunkId));
  });

  it('reranks the best fused candidates, keeping provenance and timing', async () => {
    const reranker = new TermOverlapReranker();
    const pipeline = new RetrievalPipeline({ store, vector: vectors.searcher, reranker }, { rerankCandidates: 8 });
    const question = 'Is Alport syndrome inherited?';
    const result = await pipeline.retrieve(question, { k: 10 });
    expect(result.rerank).toBe('ok');
    expect(result.timings.rerank).toBeGreaterThanOrEqual(0);
    const head = result.hits.slice(0, 8);
    expect(head.map((h) => h.retrievers.at(-1))).toEqual(head.map((h, i) => ({ retriever: 'reranker', rank: i + 1, score: h.score })));
    for (let i = 1; i < head.length; i++) expect(head[i - 1]!.score).toBeGreaterThanOrEqual(head[i]!.score);
    expect(head.every((h) => h.retrievers.length >= 2)).toBe(true);
    expect(result.hits.slice(8).every((h) => h.retrievers.every((p) => p.retriever !== 'reranker'))).toBe(true);

    const skipped = await pipeline.retrieve(question, { k: 10, rerank: false });
    expect(skipped.rerank).toBe('skipped');
    expect(skipped.hits.every((h) => h.retrievers.every((p) => p.retriever !== 'reranker'))).toBe(true);
  });

  it('keeps the fused order when the reranker fails or answers nonsense', async () => {
    const question = 'What are the treatments for Alport syndrome?';
    const plain = await new RetrievalPipeline({ store }).retrieve(question, { k: 5 });
    for (const reranker of [
      {
        id: 'broken',
        score: async () => {
          throw new Error('session crashed');
        },
      },
      { id: 'short', score: async () => [1] },
      { id: 'nan', score: async (_q: string, p: readonly string[]) => p.map(() => Number.NaN) },
    ] satisfies RerankingModel[]) {
      const result = await new RetrievalPipeline({ store, reranker }).retrieve(question, { k: 5 });
      expect(result.rerank).toBe('error');
      expect(result.hits.map((h) => h.key)).toEqual(plain.hits.map((h) => h.key));
    }
  });

  it('costs only the vector evidence when the vector index fails', async () => {
    const broken: VectorSearcher = {
      search: async () => {
        throw new Error('index file vanished');
      },
    };
    const question = 'What are the treatments for Alport syndrome?';
    const plain = await new RetrievalPipeline({ store }).retrieve(question, { k: 5 });
    const result = await new RetrievalPipeline({ store, vector: broken }).retrieve(question, { k: 5 });
    expect(result.hits.map((h) => h.key)).toEqual(plain.hits.map((h) => h.key));
    expect(result.timings.vector).toBeGreaterThanOrEqual(0);
    const throwsAtOnce: VectorSearcher = {
      search: () => {
        throw new Error('closed');
      },
    };
    const again = await new RetrievalPipeline({ store, vector: throwsAtOnce }).retrieve(question, { k: 5 });
    expect(again.hits.map((h) => h.key)).toEqual(plain.hits.map((h) => h.key));
    // The interface before search and similarity were one call: an array is no answer.
    const oldShape = { search: async () => [{ chunkId: 1, score: 0.5 }] } as unknown as VectorSearcher;
    const old = await new RetrievalPipeline({ store, vector: oldShape }).retrieve(question, { k: 5 });
    expect(old.hits.map((h) => h.key)).toEqual(plain.hits.map((h) => h.key));
  });

  it('answers hostile questions with vectors and a reranker', async () => {
    const pipeline = new RetrievalPipeline({ store, vector: vectors.searcher, reranker: new TermOverlapReranker() });
    for (const q of [
      '',
      '"',
      'NEAR(',
      '*',
      '[[File:x.png]] {{cite}}',
      '🙂'.repeat(50),
      'x'.repeat(10_000),
      '高血压',
      '\u0000\uFFFF',
      'a AND OR NOT b',
    ]) {
      const result = await pipeline.retrieve(q, { k: 5 });
      expect(Array.isArray(result.hits)).toBe(true);
      expect(result.hits.length).toBeLessThanOrEqual(5);
      for (const h of result.hits) expect(h.retrievers.length).toBeGreaterThan(0);
    }
  });
});
