/**
 * Retrieval benchmark: vector upkeep and the fused pipeline. On the shared corpus: the built-in
 * embedder's fit, embedding and HNSW build rates, HNSW recall@10 against exact cosine search,
 * latency of the fused pipeline without Wikipedia (BM25 + vectors, score fusion), the dev-set
 * metrics of BM25 alone, vectors alone and fused, and what analysis + learned ranking cost. On a
 * large synthetic store (1,000,000 chunks; `--quick` 50,000; `--set syntheticChunks=N`): the same
 * build rates and latency. On the seed corpus: the consumer sets per split, textbook BM25 vs fused
 * vs ranked.
 */
import { join } from 'node:path';
import { ingest, KnowledgeStore, seedStore } from '../knowledge/index.js';
import { CONSUMER_SETS, DEV_SETS, evaluateRetrieval, loadEvalSet, TextbookBm25, type EvalSet } from '../retrieval/evaluation/index.js';
import { RetrievalPipeline, type EvidenceSource } from '../retrieval/pipeline/index.js';
import { LearnedRanker } from '../retrieval/ranking/index.js';
import { chunkEmbeddingText, openVectorRetrieval, readVectorIndexStatus, type VectorRetrieval } from '../retrieval/vector/index.js';
import { CORPUS, intOption, latencyStats, maxRssMiB, round, SHARED_DATA, tempDir, type BenchModule, type BenchOptions } from './common.js';
import { buildSyntheticStore, sentencePool } from './synthetic-corpus.js';

/** Latency targets of the fused pipeline without Wikipedia (issue 3), and of analysis + learned ranking (issue 12). */
const TARGETS = { corpusP50Ms: 15, syntheticP50Ms: 40, analysisRankingP50Ms: 5 };
const K = 10;
const WARMUP = 50;
const RECALL_QUERIES = 500;
const SYNTHETIC_SEED = 20240612;

export const retrievalBench: BenchModule = {
  name: 'retrieval',
  description:
    'Vector fit/embed/HNSW build rates, HNSW recall@10 vs exact, fused-pipeline latency and dev-set metrics; corpus and synthetic store',
  run: runRetrievalBench,
};

async function runRetrievalBench(options: BenchOptions): Promise<Record<string, unknown>> {
  const { log } = options;
  const syntheticChunks = intOption(options.overrides.syntheticChunks, options.quick ? 50_000 : 1_000_000);
  const queryCount = intOption(options.overrides.queries, options.quick ? 200 : 1000);
  const tmp = tempDir('galen-bench-retrieval-');
  const started = performance.now();
  const logger = { info: (m: string) => log(m), warn: (m: string) => log(`warning: ${m}`) };
  let store: KnowledgeStore | undefined;
  let vectors: VectorRetrieval | undefined;
  try {
    const sets = await Promise.all(DEV_SETS.map((f) => loadEvalSet(f)));
    const queries = interleave(sets.map((s) => s.questions.map((q) => q.question))).slice(0, queryCount);

    // 1. The shared corpus.
    const corpusDir = join(tmp.dir, 'corpus');
    store = KnowledgeStore.open({ dataDir: corpusDir });
    for (const { source, dir, license, attribution } of CORPUS) {
      await ingest(store, {
        source,
        paths: [join(SHARED_DATA, dir)],
        ...(license ? { license } : {}),
        ...(attribution ? { attribution } : {}),
      });
    }
    log(`corpus: ${store.countChunks()} chunks`);
    vectors = await openVectorRetrieval({ dataDir: corpusDir, store, logger });
    const corpusBuild = await buildFigures(vectors, store, corpusDir, log, 'corpus');
    const recall = await hnswRecall(vectors, store, sets.flatMap((s) => s.questions.map((q) => q.question)).slice(0, RECALL_QUERIES), log);
    const corpusLatency = await pipelineLatency(store, vectors, queries, log, 'corpus');
    const devSets = await devSetMetrics(store, vectors, sets, log);
    const consumer = await Promise.all(CONSUMER_SETS.map((f) => loadEvalSet(f)));
    const ranking = await rankingLatency(
      store,
      vectors,
      consumer.flatMap((s) => s.questions.map((q) => q.question)),
      log,
    );
    const pool = sentencePool(store);
    vectors.close();
    vectors = undefined;
    store.close();
    store = undefined;

    // 2. A large synthetic store.
    const syntheticDir = join(tmp.dir, 'synthetic');
    store = KnowledgeStore.open({ dataDir: syntheticDir });
    const storeBuild = buildSyntheticStore(store, pool, syntheticChunks, SYNTHETIC_SEED, log);
    pool.sentences.length = 0;
    vectors = await openVectorRetrieval({ dataDir: syntheticDir, store, logger });
    const syntheticBuild = await buildFigures(vectors, store, syntheticDir, log, 'synthetic');
    const syntheticLatency = await pipelineLatency(store, vectors, queries, log, 'synthetic');
    vectors.close();
    vectors = undefined;
    store.close();
    store = undefined;

    // 3. The seed corpus, which the consumer sets' passage ids name.
    const seedDir = join(tmp.dir, 'seed');
    store = KnowledgeStore.open({ dataDir: seedDir });
    await seedStore(store);
    vectors = await openVectorRetrieval({ dataDir: seedDir, store, logger });
    await vectors.sync();
    const consumerSets = await consumerSetMetrics(store, vectors, consumer, log);

    return {
      corpus: {
        build: corpusBuild,
        recallAt10VsExact: recall,
        latency: { ...corpusLatency, target: { p50Ms: TARGETS.corpusP50Ms, met: corpusLatency.fused.p50Ms <= TARGETS.corpusP50Ms } },
        devSets,
        ranking: {
          ...ranking,
          target: {
            analysisRankingP50Ms: TARGETS.analysisRankingP50Ms,
            met: ranking.analysisRanking.p50Ms <= TARGETS.analysisRankingP50Ms,
          },
        },
      },
      synthetic: {
        store: storeBuild,
        build: syntheticBuild,
        latency: {
          ...syntheticLatency,
          target: { p50Ms: TARGETS.syntheticP50Ms, met: syntheticLatency.fused.p50Ms <= TARGETS.syntheticP50Ms },
        },
      },
      seed: { consumerSets },
      durationS: round((performance.now() - started) / 1000, 1),
      maxRssMiB: maxRssMiB(),
    };
  } finally {
    vectors?.close();
    store?.close();
    tmp.cleanup();
  }
}

/** Fits, embeds and builds the index from scratch, timing each part. */
async function buildFigures(vectors: VectorRetrieval, store: KnowledgeStore, dataDir: string, log: (m: string) => void, label: string) {
  const report = await vectors.sync();
  const buildMs = report.durationMs - report.fitMs - report.embedMs;
  const status = await readVectorIndexStatus({ dataDir, store });
  const figures = {
    chunks: report.count,
    embedder: report.embedderId,
    fitS: round(report.fitMs / 1000, 1),
    embedS: round(report.embedMs / 1000, 1),
    embedChunksPerS: Math.round(report.count / (report.embedMs / 1000)),
    hnswBuildS: round(buildMs / 1000, 1),
    hnswVectorsPerS: Math.round(report.count / (buildMs / 1000)),
    indexMB: round((status.index?.indexBytes ?? 0) / 1e6, 1),
    m: status.index?.m,
    efConstruction: status.index?.efConstruction,
    efSearch: status.index?.efSearch,
  };
  log(
    `${label}: fit ${figures.fitS} s, embed ${figures.embedChunksPerS} chunks/s, HNSW ${figures.hnswVectorsPerS} vectors/s, ${figures.indexMB} MB`,
  );
  return figures;
}

/** HNSW top-10 against exact brute-force cosine over every chunk vector. */
async function hnswRecall(vectors: VectorRetrieval, store: KnowledgeStore, questions: string[], log: (m: string) => void) {
  const embedder = vectors.embedder!;
  const d = embedder.dimension;
  const ids: number[] = [];
  const texts: string[] = [];
  for (const page of store.allChunkTexts(5000)) {
    for (const c of page) {
      ids.push(c.chunkId);
      texts.push(chunkEmbeddingText(c));
    }
  }
  const matrix = new Float32Array(ids.length * d);
  (await embedder.embed(texts)).forEach((v, i) => matrix.set(v, i * d));
  let found = 0;
  let wanted = 0;
  for (const q of questions) {
    const [v] = await embedder.embed([q]);
    const scores = new Float32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      let s = 0;
      for (let j = 0, o = i * d; j < d; j++) s += v![j]! * matrix[o + j]!;
      scores[i] = s;
    }
    const exact = [...scores.keys()]
      .sort((a, b) => scores[b]! - scores[a]!)
      .slice(0, K)
      .map((i) => ids[i]!);
    const approx = new Set((await vectors.searcher.search(q, K)).hits.map((h) => h.chunkId));
    wanted += exact.length;
    found += exact.filter((id) => approx.has(id)).length;
  }
  const recall = round(found / Math.max(1, wanted), 4);
  log(`HNSW recall@10 vs exact over ${questions.length} questions: ${recall}`);
  return { questions: questions.length, recall };
}

/** Latency of the pipeline without Wikipedia: BM25 alone and fused (BM25 + vectors). */
async function pipelineLatency(
  store: KnowledgeStore,
  vectors: VectorRetrieval,
  queries: string[],
  log: (m: string) => void,
  label: string,
) {
  const pipeline = new RetrievalPipeline({ store, vector: vectors.searcher });
  const measure = async (sources: EvidenceSource[]) => {
    for (const q of queries.slice(-WARMUP)) await pipeline.retrieve(q, { k: K, sources });
    const samples: number[] = [];
    const vectorMs: number[] = [];
    for (const q of queries) {
      const t = performance.now();
      const result = await pipeline.retrieve(q, { k: K, sources });
      samples.push(performance.now() - t);
      if (result.timings.vector !== undefined) vectorMs.push(result.timings.vector);
    }
    return { all: latencyStats(samples), vectorMs: vectorMs.length ? latencyStats(vectorMs) : null };
  };
  const bm25 = await measure(['corpus']);
  const fused = await measure(['corpus', 'vector']);
  log(`${label}: fused p50 ${fused.all.p50Ms} ms, p99 ${fused.all.p99Ms} ms (BM25 alone p50 ${bm25.all.p50Ms}, p99 ${bm25.all.p99Ms})`);
  return { k: K, queries: queries.length, bm25: bm25.all, fused: fused.all, vectorPart: fused.vectorMs };
}

/** MRR@10, nDCG@10 and recall@10 of BM25 alone, vectors alone and fused on the shipped dev sets. */
async function devSetMetrics(store: KnowledgeStore, vectors: VectorRetrieval, sets: EvalSet[], log: (m: string) => void) {
  const pipeline = new RetrievalPipeline({ store, vector: vectors.searcher });
  const out: Record<string, Record<string, { mrr10: number; ndcg10: number; recallAt10: number }>> = {};
  for (const set of sets) {
    const runs = (['corpus', 'vector', 'fused'] as const).map((name) => ({
      name: name === 'corpus' ? 'bm25' : name,
      retrieve: async (q: string) =>
        (await pipeline.retrieve(q, { k: K, sources: name === 'fused' ? ['corpus', 'vector'] : [name] })).hits.map((h) => h.externalId),
    }));
    const report = await evaluateRetrieval(set, runs, { recallAt: [K] });
    out[set.name] = Object.fromEntries(
      report.runs.map((r) => [r.name, { mrr10: round(r.mrr10, 4), ndcg10: round(r.ndcg10, 4), recallAt10: round(r.recall[K]!, 4) }]),
    );
    log(`${set.name}: ${report.runs.map((r) => `${r.name} MRR@10 ${round(r.mrr10, 4)}`).join(', ')}`);
  }
  return out;
}

/**
 * What analysis and learned ranking cost per question (consumer questions, corpus + vectors, k 10):
 * the pipeline's own timings of the two, and its whole latency with and without the ranker (which
 * also reads 100 candidates instead of 30).
 */
async function rankingLatency(store: KnowledgeStore, vectors: VectorRetrieval, queries: string[], log: (m: string) => void) {
  const plain = new RetrievalPipeline({ store, vector: vectors.searcher });
  const ranked = new RetrievalPipeline({ store, vector: vectors.searcher, ranker: LearnedRanker.load(store) });
  const sources: EvidenceSource[] = ['corpus', 'vector'];
  for (const q of queries.slice(0, WARMUP)) {
    await plain.retrieve(q, { k: K, sources });
    await ranked.retrieve(q, { k: K, sources });
  }
  const plainMs: number[] = [];
  const rankedMs: number[] = [];
  const analysisRanking: number[] = [];
  for (const q of queries) {
    let t = performance.now();
    await plain.retrieve(q, { k: K, sources });
    plainMs.push(performance.now() - t);
    t = performance.now();
    const result = await ranked.retrieve(q, { k: K, sources });
    rankedMs.push(performance.now() - t);
    analysisRanking.push((result.timings.analysis ?? 0) + (result.timings.rank ?? 0));
  }
  const figures = {
    queries: queries.length,
    analysisRanking: latencyStats(analysisRanking),
    fused: latencyStats(plainMs),
    ranked: latencyStats(rankedMs),
  };
  log(
    `ranking: analysis + ranking p50 ${figures.analysisRanking.p50Ms} ms; pipeline p50 ${figures.fused.p50Ms} ms fused, ${figures.ranked.p50Ms} ms ranked`,
  );
  return figures;
}

/** Graded top-1, MRR@10, P@5, nDCG@10 of textbook BM25, the fused pipeline and the ranked one on the consumer sets, per split. */
async function consumerSetMetrics(store: KnowledgeStore, vectors: VectorRetrieval, sets: EvalSet[], log: (m: string) => void) {
  const textbook = TextbookBm25.fromStore(store);
  const fused = new RetrievalPipeline({ store, vector: vectors.searcher });
  const ranked = new RetrievalPipeline({ store, vector: vectors.searcher, ranker: LearnedRanker.load(store) });
  const sources: EvidenceSource[] = ['corpus', 'vector'];
  const runs = [
    { name: 'bm25-textbook', retrieve: async (q: string) => textbook.search(q, K) },
    { name: 'fused', retrieve: async (q: string) => (await fused.retrieve(q, { k: K, sources })).hits.map((h) => h.externalId) },
    { name: 'ranked', retrieve: async (q: string) => (await ranked.retrieve(q, { k: K, sources })).hits.map((h) => h.externalId) },
  ];
  const out: Record<string, Record<string, { top1: number; mrr10: number; precision5: number; ndcg10: number }>> = {};
  for (const set of sets)
    for (const split of ['dev', 'heldout'] as const) {
      const report = await evaluateRetrieval(set, runs, { recallAt: [K], split });
      out[`${set.name}/${split}`] = Object.fromEntries(
        report.runs.map((r) => [
          r.name,
          { top1: round(r.top1, 4), mrr10: round(r.mrr10, 4), precision5: round(r.precision5, 4), ndcg10: round(r.ndcg10, 4) },
        ]),
      );
      log(`${set.name} ${split}: ${report.runs.map((r) => `${r.name} top-1 ${round(r.top1, 3)} MRR@10 ${round(r.mrr10, 3)}`).join(', ')}`);
    }
  return out;
}

/** Alternates the lists' items: PubMedQA and MedQuAD questions mixed evenly. */
function interleave(lists: string[][]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(...lists.map((l) => l.length)); i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}
