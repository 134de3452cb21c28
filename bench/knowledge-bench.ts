/**
 * Knowledge-store benchmark: ingest throughput of the shared corpus, BM25 query latency and a
 * PubMedQA retrieval baseline on it, and the same latency on a large synthetic store built from
 * the corpus's own sentences.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingest, KnowledgeStore, LexicalSearch, type IngestReport } from '../knowledge/index.js';
import {
  CORPUS,
  intOption,
  latencyStats,
  maxRssMiB,
  round,
  seededRandom,
  SHARED_DATA,
  sig,
  storeSize,
  tempDir,
  type BenchModule,
  type BenchOptions,
  type LatencyStats,
} from './common.js';
import { buildSyntheticStore, sentencePool } from './synthetic-corpus.js';

/** Latency targets on the full corpus. */
const TARGETS = { p50Ms: 5, p99Ms: 30 };
const K = 10;
const WARMUP_QUERIES = 50;
const SLOWEST_LISTED = 5;
const SYNTHETIC_SEED = 20240611;

type QueryKind = 'pubmedqa' | 'medquad' | 'chatdoctor';
interface Query {
  kind: QueryKind;
  text: string;
  /** For PubMedQA questions: the document they were written about. */
  pmid?: string;
}

export const knowledgeBench: BenchModule = {
  name: 'knowledge',
  description: 'Ingest throughput, BM25 query latency and recall on the shared corpus; latency on a large synthetic store',
  run: runKnowledgeBench,
};

async function runKnowledgeBench(options: BenchOptions): Promise<Record<string, unknown>> {
  const { log } = options;
  const syntheticChunks = intOption(options.overrides.syntheticChunks, options.quick ? 50_000 : 1_000_000);
  const queryCount = intOption(options.overrides.queries, options.quick ? 200 : 1000);
  // `--set keepData=1` keeps the stores for inspection instead of deleting them.
  const keepData = Boolean(options.overrides.keepData && options.overrides.keepData !== '0');
  const tmp = tempDir('galen-bench-knowledge-');
  log(`temporary data in ${tmp.dir}${keepData ? ' (kept afterwards: keepData)' : ''}`);
  const started = performance.now();
  let corpusStore: KnowledgeStore | undefined;
  let syntheticStore: KnowledgeStore | undefined;
  try {
    // 1. Ingest the shared corpus.
    corpusStore = KnowledgeStore.open({ dataDir: join(tmp.dir, 'corpus') });
    const ingestResult = await benchCorpusIngest(corpusStore, log);

    // 2. Query latency and the retrieval baseline on the full corpus.
    const { queries, warmup } = buildQueries(corpusStore, queryCount);
    log(`query set: ${queries.length} queries (${countKinds(queries)}), ${warmup.length} warm-up`);
    const corpusSearch = new LexicalSearch(corpusStore);
    const corpusLatency = measureLatency(corpusSearch, queries, warmup, log, 'corpus');
    const met = corpusLatency.all.p50Ms <= TARGETS.p50Ms && corpusLatency.all.p99Ms <= TARGETS.p99Ms;
    const retrieval = measurePubmedRecall(corpusSearch, log);
    const corpusChunks = corpusStore.countChunks();
    const corpusWalMB = storeSize(corpusStore).walMB;
    corpusStore.db.pragma('wal_checkpoint(TRUNCATE)');
    const corpusFileMB = storeSize(corpusStore).fileMB;

    // 3. A large synthetic store from the corpus's own sentences.
    const pool = sentencePool(corpusStore);
    log(`synthetic text pool: ${pool.sentences.length} sentences, ${pool.titles.length} titles`);
    corpusStore.close();
    corpusStore = undefined;
    syntheticStore = KnowledgeStore.open({ dataDir: join(tmp.dir, 'synthetic') });
    const build = buildSyntheticStore(syntheticStore, pool, syntheticChunks, SYNTHETIC_SEED, log);
    pool.sentences.length = 0;
    const syntheticSearch = new LexicalSearch(syntheticStore);
    const syntheticLatency = measureLatency(syntheticSearch, queries, warmup, log, 'synthetic');
    syntheticStore.close();
    syntheticStore = undefined;

    return {
      ingest: ingestResult,
      query: {
        store: { chunks: corpusChunks, fileMB: corpusFileMB, walMBBeforeCheckpoint: corpusWalMB },
        k: K,
        queries: queries.length,
        warmupQueries: warmup.length,
        mix: countKindsObject(queries),
        latency: corpusLatency.all,
        byKind: corpusLatency.byKind,
        slowest: corpusLatency.slowest,
        targets: { ...TARGETS, met },
      },
      retrieval,
      synthetic: {
        ...build,
        query: {
          k: K,
          queries: queries.length,
          warmupQueries: warmup.length,
          latency: syntheticLatency.all,
          byKind: syntheticLatency.byKind,
          slowest: syntheticLatency.slowest,
          meetsCorpusTargets: syntheticLatency.all.p50Ms <= TARGETS.p50Ms && syntheticLatency.all.p99Ms <= TARGETS.p99Ms,
        },
      },
      durationS: round((performance.now() - started) / 1000, 1),
      maxRssMiB: maxRssMiB(),
    };
  } finally {
    corpusStore?.close();
    syntheticStore?.close();
    if (keepData) log(`temporary data kept in ${tmp.dir}`);
    else {
      tmp.cleanup();
      log('temporary data deleted');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Ingest

interface SourceIngestFigures {
  source: string;
  files: number;
  formats: Record<string, number>;
  documents: number;
  added: number;
  chunksAdded: number;
  questionOnly: number;
  rejected: number;
  duplicates: number;
  inputMB: number;
  seconds: number;
  documentsPerS: number;
  chunksPerS: number;
  mbPerS: number;
}

async function benchCorpusIngest(store: KnowledgeStore, log: (m: string) => void) {
  const perSource: SourceIngestFigures[] = [];
  for (const { source, dir, license, attribution } of CORPUS) {
    const { report, seconds, bytes } = await timedIngest(store, source, join(SHARED_DATA, dir), license, attribution);
    const mb = bytes / 1e6;
    const figures: SourceIngestFigures = {
      source,
      files: report.files,
      formats: report.formats,
      documents: report.documentsSeen,
      added: report.added,
      chunksAdded: report.chunksAdded,
      questionOnly: report.questionOnly,
      rejected: report.rejected,
      duplicates: report.duplicates,
      inputMB: round(mb, 2),
      seconds: round(seconds, 2),
      documentsPerS: Math.round(report.documentsSeen / seconds),
      chunksPerS: Math.round(report.chunksAdded / seconds),
      mbPerS: round(mb / seconds, 2),
    };
    if (report.rejected) {
      const first = report.rejections.slice(0, 3).map((r) => `${r.path}${r.line ? `:${r.line}` : ''}: ${r.message}`);
      log(`${source}: ${report.rejected} rejected, e.g. ${first.join(' | ')}`);
    }
    log(`${source}: ${figures.documents} documents, ${figures.chunksAdded} chunks, ${figures.inputMB} MB in ${figures.seconds} s`);
    perSource.push(figures);
  }
  const sum = (key: 'documents' | 'added' | 'chunksAdded' | 'questionOnly' | 'rejected' | 'inputMB' | 'seconds') =>
    perSource.reduce((n, s) => n + s[key], 0);
  const seconds = sum('seconds');
  const total = {
    documents: sum('documents'),
    added: sum('added'),
    chunksAdded: sum('chunksAdded'),
    questionOnly: sum('questionOnly'),
    rejected: sum('rejected'),
    inputMB: round(sum('inputMB'), 2),
    seconds: round(seconds, 2),
    documentsPerS: Math.round(sum('documents') / seconds),
    chunksPerS: Math.round(sum('chunksAdded') / seconds),
    mbPerS: round(sum('inputMB') / seconds, 2),
  };

  // A second run over unchanged files must change nothing; its cost is parsing and hashing.
  const medquad = CORPUS[0]!;
  const again = await timedIngest(store, medquad.source, join(SHARED_DATA, medquad.dir), medquad.license, medquad.attribution);
  const r = again.report;
  const reingest = {
    source: medquad.source,
    seconds: round(again.seconds, 2),
    documents: r.documentsSeen,
    unchanged: r.unchanged,
    added: r.added,
    updated: r.updated,
    removed: r.removed,
    chunksAdded: r.chunksAdded,
    chunksRemoved: r.chunksRemoved,
    noChange: r.added === 0 && r.updated === 0 && r.removed === 0 && r.chunksAdded === 0 && r.chunksRemoved === 0,
    mbPerS: round(again.bytes / 1e6 / again.seconds, 2),
  };
  log(`medquad re-ingest: ${reingest.seconds} s, added ${r.added}, updated ${r.updated}, removed ${r.removed}`);
  return { perSource, total, reingestUnchanged: reingest };
}

async function timedIngest(store: KnowledgeStore, source: string, path: string, license?: string, attribution?: string) {
  let bytes = 0;
  const t0 = performance.now();
  const report: IngestReport = await ingest(store, {
    source,
    paths: [path],
    format: 'auto',
    ...(license === undefined ? {} : { license }),
    ...(attribution === undefined ? {} : { attribution }),
    onProgress: (p) => {
      bytes = p.bytesTotal;
    },
  });
  return { report, seconds: (performance.now() - t0) / 1000, bytes };
}

// ---------------------------------------------------------------------------------------------
// 2. Queries

/** Every `n`-th item of `items` (evenly spread), `count` of them at most. */
function spread<T>(items: readonly T[], count: number, offset = 0): T[] {
  if (count <= 0 || items.length === 0) return [];
  if (count >= items.length) return [...items];
  const step = items.length / count;
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(items[Math.min(items.length - 1, Math.floor(i * step + offset * step))]!);
  return out;
}

function pubmedDevQuestions(): Query[] {
  const dev = JSON.parse(readFileSync(join(SHARED_DATA, 'pubmedqa', 'pqal_dev.json'), 'utf8')) as Record<string, { QUESTION?: string }>;
  return Object.entries(dev)
    .filter(([, v]) => typeof v.QUESTION === 'string' && v.QUESTION.trim())
    .map(([pmid, v]) => ({ kind: 'pubmedqa' as const, text: v.QUESTION!.trim(), pmid }));
}

/**
 * A deterministic mix of realistic questions: half PubMedQA dev questions, 40 % MedQuAD questions
 * (evenly spread over the stored sections), 10 % ChatDoctor patient messages; interleaved by a
 * seeded shuffle. The warm-up queries are MedQuAD questions not in the measured set.
 */
function buildQueries(store: KnowledgeStore, count: number): { queries: Query[]; warmup: Query[] } {
  const nPub = Math.round(count * 0.5);
  const nMed = Math.round(count * 0.4);
  const nChat = count - nPub - nMed;
  const pub = spread(pubmedDevQuestions(), nPub);
  const medAll = [
    ...new Set(
      (
        store.db
          .prepare(
            `SELECT x.question FROM sections x JOIN documents d ON d.id = x.document_id JOIN sources s ON s.id = d.source_id
           WHERE s.name = 'medquad' AND x.question != '' ORDER BY x.id`,
          )
          .pluck()
          .all() as string[]
      ).map((q) => q.trim()),
    ),
  ];
  const med = spread(medAll, nMed).map((text) => ({ kind: 'medquad' as const, text }));
  const chosen = new Set(med.map((q) => q.text));
  const warmup = spread(
    medAll.filter((t) => !chosen.has(t)),
    WARMUP_QUERIES,
  ).map((text) => ({ kind: 'medquad' as const, text }));
  const dialogues = JSON.parse(readFileSync(join(SHARED_DATA, 'chatdoctor', 'chatdoctor5k_train.json'), 'utf8')) as Array<{
    input?: string;
  }>;
  const chat = spread(dialogues.map((d) => (d.input ?? '').trim()).filter(Boolean), nChat).map((text) => ({
    kind: 'chatdoctor' as const,
    text,
  }));
  const queries = [...pub, ...med, ...chat];
  const rand = seededRandom(SYNTHETIC_SEED + 1);
  for (let i = queries.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [queries[i], queries[j]] = [queries[j]!, queries[i]!];
  }
  return { queries, warmup };
}

function countKindsObject(queries: readonly Query[]): Record<QueryKind, number> {
  const out: Record<QueryKind, number> = { pubmedqa: 0, medquad: 0, chatdoctor: 0 };
  for (const q of queries) out[q.kind]++;
  return out;
}

function countKinds(queries: readonly Query[]): string {
  return Object.entries(countKindsObject(queries))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

interface SlowQuery {
  ms: number;
  kind: QueryKind;
  query: string;
  queryChars: number;
  terms: number;
  hits: number;
}

function measureLatency(
  search: LexicalSearch,
  queries: readonly Query[],
  warmup: readonly Query[],
  log: (m: string) => void,
  label: string,
) {
  for (const q of warmup) search.search(q.text, { k: K });
  const samples: Array<{ ms: number; q: Query; terms: number; hits: number }> = [];
  for (const q of queries) {
    const t0 = performance.now();
    const result = search.search(q.text, { k: K });
    const ms = performance.now() - t0;
    samples.push({ ms, q, terms: result.terms.length, hits: result.hits.length });
  }
  const all = latencyStats(samples.map((s) => s.ms));
  const byKind: Partial<Record<QueryKind, LatencyStats>> = {};
  for (const kind of ['pubmedqa', 'medquad', 'chatdoctor'] as const) {
    const of = samples.filter((s) => s.q.kind === kind).map((s) => s.ms);
    if (of.length) byKind[kind] = latencyStats(of);
  }
  const slowest: SlowQuery[] = [...samples]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, SLOWEST_LISTED)
    .map((s) => ({
      ms: sig(s.ms),
      kind: s.q.kind,
      query: s.q.text.length > 200 ? `${s.q.text.slice(0, 200)}…` : s.q.text,
      queryChars: s.q.text.length,
      terms: s.terms,
      hits: s.hits,
    }));
  log(`${label} latency over ${all.count} queries: p50 ${all.p50Ms} ms, p95 ${all.p95Ms} ms, p99 ${all.p99Ms} ms, max ${all.maxMs} ms`);
  return { all, byKind, slowest };
}

/**
 * Plain-BM25 baseline: for each PubMedQA dev question, where its own abstract (`PMID_<pmid>` in
 * source pubmedqa) ranks among the top 10 over the whole corpus.
 */
function measurePubmedRecall(search: LexicalSearch, log: (m: string) => void) {
  const questions = pubmedDevQuestions();
  let found = 0;
  let first = 0;
  let reciprocal = 0;
  for (const q of questions) {
    const { hits } = search.search(q.text, { k: K });
    const rank = hits.findIndex((h) => h.source === 'pubmedqa' && h.documentExternalId === `PMID_${q.pmid}`);
    if (rank < 0) continue;
    found++;
    if (rank === 0) first++;
    reciprocal += 1 / (rank + 1);
  }
  const n = questions.length;
  const figures = {
    questions: n,
    k: K,
    recallAt1: round(first / n, 3),
    recallAt10: round(found / n, 3),
    mrrAt10: round(reciprocal / n, 3),
    note: 'PubMedQA dev question → its own abstract (PMID_<pmid>), searched over the whole corpus with LexicalSearch (plain BM25)',
  };
  log(`PubMedQA recall@10 ${figures.recallAt10}, MRR@10 ${figures.mrrAt10}`);
  return figures;
}
