import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { RetrievalPipeline } from '../../retrieval/pipeline/index.js';
import { removeNearDuplicates } from '../../retrieval/fusion/index.js';
import { LearnedRanker } from '../../retrieval/ranking/index.js';
import { openVectorRetrieval, type VectorRetrieval } from '../../retrieval/vector/index.js';
import { LocalRetrievalPool, RetrievalWorkerError } from '../../retrieval/workers/index.js';
import { copyMedquadSample, copyPubmedSample } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/paths.js';

// A real store and real vector files; the pool's workers open them on their own threads.
let tmp: ReturnType<typeof tempDir>;
let dataDir: string;
let store: KnowledgeStore;
let vectors: VectorRetrieval;
const pools: LocalRetrievalPool[] = [];
const logger = { info: () => {}, warn: () => {} };

const QUESTIONS = [
  'What is the inheritance pattern of this condition?',
  'What are the genetic changes related to this disorder?',
  'Does aspirin reduce mortality after surgery?',
  'How many people are affected?',
  'treatment of hypertension in elderly patients',
];

async function startPool(workers = 2): Promise<LocalRetrievalPool> {
  const pool = await LocalRetrievalPool.start({ dataDir, workers, vectors: { lsaDimension: 32 } });
  pools.push(pool);
  return pool;
}

beforeEach(async () => {
  tmp = tempDir('galen-pool-');
  dataDir = join(tmp.dir, 'data');
  store = KnowledgeStore.open({ dataDir });
  await ingest(store, { source: 'ghr', paths: [copyMedquadSample(tmp.dir, 30)] });
  await ingest(store, { source: 'pubmed', paths: [copyPubmedSample(tmp.dir, 80, 0)], format: 'pubmedqa' });
  vectors = await openVectorRetrieval({ dataDir, store, logger, lsa: { dimension: 32 } });
  await vectors.sync();
});

afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
  vectors.close();
  store.close();
  tmp.cleanup();
});

describe('LocalRetrievalPool', () => {
  it('finds exactly what the same searches find on this thread, with both retrievers', async () => {
    const pool = await startPool();
    expect(pool.size).toBe(2);
    expect(pool.vectorCounts).toEqual([vectors.count, vectors.count]);
    const here = new RetrievalPipeline({ store, vector: vectors.searcher });
    const there = new RetrievalPipeline({ store, local: pool });
    expect(there.sources).toEqual(['corpus', 'vector']);
    // Concurrent questions spread over both workers.
    const [ours, theirs] = await Promise.all([
      Promise.all(QUESTIONS.map((q) => here.retrieve(q, { k: 8 }))),
      Promise.all(QUESTIONS.map((q) => there.retrieve(q, { k: 8 }))),
    ]);
    for (let i = 0; i < QUESTIONS.length; i++) {
      const strip = (hits: (typeof ours)[number]['hits']) =>
        hits.map((h) => ({ key: h.key, score: h.score, retrievers: h.retrievers, text: h.text, url: h.url, similarity: h.similarity }));
      expect(strip(theirs[i]!.hits)).toEqual(strip(ours[i]!.hits));
      expect(theirs[i]!.hits.length).toBeGreaterThan(0);
      expect(theirs[i]!.timings.corpus).toBeGreaterThanOrEqual(0);
      expect(theirs[i]!.timings.vector).toBeGreaterThanOrEqual(0);
    }
    // Dense evidence reached the hits (the nearest-neighbour search itself may be skipped: see local-retrieval).
    expect(ours.every((r) => r.hits.some((h) => typeof h.similarity === 'number'))).toBe(true);
  });

  it('ranks in its workers exactly as the learned ranker ranks on this thread', async () => {
    const pool = await LocalRetrievalPool.start({ dataDir, workers: 2, vectors: { lsaDimension: 32 }, ranker: {} });
    pools.push(pool);
    expect(pool.ranking).toEqual({ candidates: 100 });
    const here = new RetrievalPipeline({ store, vector: vectors.searcher, ranker: LearnedRanker.load(store) });
    const there = new RetrievalPipeline({ store, local: pool });
    const unranked = new RetrievalPipeline({ store, local: await startPool(1) });
    for (const q of QUESTIONS) {
      const [ours, theirs, fused] = await Promise.all([
        here.retrieve(q, { k: 8 }),
        there.retrieve(q, { k: 8 }),
        unranked.retrieve(q, { k: 8 }),
      ]);
      const strip = (hits: (typeof ours)['hits']) =>
        hits.map((h) => ({ key: h.key, score: h.score, retrievers: h.retrievers, text: h.text }));
      expect(strip(theirs.hits)).toEqual(strip(ours.hits));
      expect(theirs.hits[0]!.retrievers.some((p) => p.retriever === 'ranker')).toBe(true);
      expect(theirs.timings.rank).toBeGreaterThanOrEqual(0);
      expect(fused.hits.some((h) => h.retrievers.some((p) => p.retriever === 'ranker'))).toBe(false);
      // Asked to keep a few, a worker sends only those: the first of the full list once near-identical passages fold.
      const request = { candidates: 100, sources: ['corpus', 'vector'] as const, rank: ours.analysis };
      const all = (await pool.retrieve(ours.query, request)).lists[0]!.hits;
      const few = (await pool.retrieve(ours.query, { ...request, keep: 3 })).lists[0]!.hits;
      expect(few.map((h) => h.key)).toEqual(removeNearDuplicates(all, { textOf: (h) => h.text, limit: 3 }).map((h) => h.key));
      expect(few.length).toBe(Math.min(3, all.length));
      // Turned off per request, the workers keep fused order.
      expect((await there.retrieve(q, { k: 8, rank: false })).hits.map((h) => h.key)).toEqual(fused.hits.map((h) => h.key));
    }
  });

  it('sees new chunks at once by BM25, and by vectors after the main thread syncs and reloads', async () => {
    const pool = await startPool(1);
    const pipeline = new RetrievalPipeline({ store, local: pool });
    const before = vectors.count;
    await ingest(store, { source: 'pubmed-more', paths: [copyPubmedSample(tmp.dir, 20, 200)], format: 'pubmedqa' });
    const added = store.getChunks([...store.chunkKeys()].map((k) => k.chunkId)).filter((c) => c.source === 'pubmed-more');
    const probe = added[0]!;
    const lexical = await pipeline.retrieve(probe.title, { k: 5, sources: ['corpus'] });
    // One hit per passage: the probe's section may be represented by another of its chunks.
    expect(lexical.hits.map((h) => `${h.externalId} ${h.section}`)).toContain(`${probe.externalId} ${probe.section}`);

    const vectorOnly = () => pipeline.retrieve(probe.text.slice(0, 300), { k: 5, sources: ['vector'] });
    expect((await vectorOnly()).hits.some((h) => h.source === 'pubmed-more')).toBe(false);
    await vectors.sync();
    expect(vectors.count).toBeGreaterThan(before);
    await pool.reloadVectors();
    expect(pool.vectorCounts).toEqual([vectors.count]);
    expect((await vectorOnly()).hits.map((h) => `${h.externalId} ${h.section}`)).toContain(`${probe.externalId} ${probe.section}`);
  });

  it('searches BM25 alone when started without vectors', async () => {
    const pool = await LocalRetrievalPool.start({ dataDir, workers: 1 });
    pools.push(pool);
    expect(pool.sources).toEqual(['corpus']);
    const { hits } = await new RetrievalPipeline({ store, local: pool }).retrieve(QUESTIONS[0]!, { k: 5 });
    expect(hits.length).toBe(5);
    expect(hits.every((h) => h.retrievers.every((p) => p.retriever === 'corpus'))).toBe(true);
    // More questions at once than the worker holds: they wait in the pool's queue, none is lost.
    const pipeline = new RetrievalPipeline({ store, local: pool });
    const questions = Array.from({ length: 12 }, (_, i) => QUESTIONS[i % QUESTIONS.length]!);
    const together = await Promise.all(questions.map((q) => pipeline.retrieve(q, { k: 5 })));
    for (const [i, q] of questions.entries())
      expect(together[i]!.hits.map((h) => h.key)).toEqual((await pipeline.retrieve(q, { k: 5 })).hits.map((h) => h.key));
  });

  it('refuses a bad worker count and a store it cannot open, and fails questions after close', async () => {
    await expect(LocalRetrievalPool.start({ dataDir, workers: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    const file = join(tmp.dir, 'not-a-directory');
    writeFileSync(file, 'x');
    const failed = LocalRetrievalPool.start({ dataDir: file, workers: 1 });
    await expect(failed).rejects.toBeInstanceOf(RetrievalWorkerError);
    await expect(failed).rejects.toMatchObject({ code: 'START_FAILED' });

    const pool = await startPool(1);
    await pool.close();
    await expect(pool.retrieve('gout', { candidates: 5, sources: ['corpus'] })).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
