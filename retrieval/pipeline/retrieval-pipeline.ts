import { LexicalSearch, type KnowledgeStore, type LexicalHit } from '../../knowledge/index.js';
import { applySourceQuotas, reciprocalRankFusion, removeNearDuplicates, type RankedList } from '../fusion/index.js';
import type { WikipediaPassage, WikipediaRetriever, WikipediaStatus } from '../wikipedia/index.js';
import type { Evidence, EvidenceSource } from './evidence.js';
import { QueryNormalizer } from './query-normalizer.js';

/** Dense retrieval over the store's chunks (the HNSW index behind an embedder). */
export interface VectorSearcher {
  /** The nearest chunks to the question, best first; `score` is cosine similarity. */
  search(question: string, k: number): Promise<Array<{ chunkId: number; score: number }>>;
}

/** The parts a pipeline fuses; only the store is required. */
export interface RetrievalPipelineParts {
  store: KnowledgeStore;
  vector?: VectorSearcher;
  wikipedia?: WikipediaRetriever;
  /** Query rewriting; default: abbreviations and synonyms mined from the store. */
  normalizer?: QueryNormalizer;
}

/** Tuning of the fusion, each with its default. */
export interface RetrievalPipelineOptions {
  /**
   * RRF weight per retriever. Default 1 each (as MedRAG): a list weighted lower can only break ties,
   * since every rank of a heavier list outscores its best. Wikipedia is bounded by `quotas` instead.
   */
  weights?: Partial<Record<EvidenceSource, number>>;
  /** Candidates asked of each retriever before fusion. Default 3·k, at least 20. */
  candidates?: number;
  /** Most hits per source name in the fused list (e.g. `{ 'wikipedia-live': 3 }`). Default: Wikipedia at most half of k. */
  quotas?: Readonly<Record<string, number>>;
}

export interface RetrieveRequest {
  /** Hits wanted. Default 10, at most 100. */
  k?: number;
  /** Retrievers to use. Default all that are configured. */
  sources?: readonly EvidenceSource[];
  signal?: AbortSignal;
}

export interface RetrievalResult {
  hits: Evidence[];
  /** The question as searched (after normalisation). */
  query: string;
  /** Milliseconds per retriever and in all. */
  timings: Partial<Record<EvidenceSource, number>> & { total: number };
  /** How the Wikipedia call went, when it was made. */
  wikipedia?: WikipediaStatus;
}

/** The source name live Wikipedia passages carry. */
export const WIKIPEDIA_LIVE_SOURCE = 'wikipedia-live';

/**
 * The evidence finder: normalises the question, asks the local corpus (BM25), the vector index and
 * live Wikipedia in parallel, fuses their rankings with weighted reciprocal rank fusion, folds
 * near-identical passages together (keeping every retriever's provenance) and applies per-source
 * quotas. A failing or slow retriever costs only its own passages.
 *
 * @example
 * const pipeline = new RetrievalPipeline({ store, wikipedia });
 * const { hits } = await pipeline.retrieve('What are the symptoms of gout?', { k: 5 });
 */
export class RetrievalPipeline {
  private readonly lexical: LexicalSearch;
  private readonly normalizer: QueryNormalizer;
  private readonly weights: Record<EvidenceSource, number>;

  constructor(
    private readonly parts: RetrievalPipelineParts,
    private readonly options: RetrievalPipelineOptions = {},
  ) {
    this.lexical = new LexicalSearch(parts.store);
    this.normalizer = parts.normalizer ?? QueryNormalizer.fromStore(parts.store);
    this.weights = { corpus: 1, vector: 1, wikipedia: 1, ...options.weights };
  }

  /** Retrievers this pipeline has. */
  get sources(): EvidenceSource[] {
    return ['corpus', ...(this.parts.vector ? (['vector'] as const) : []), ...(this.parts.wikipedia ? (['wikipedia'] as const) : [])];
  }

  async retrieve(question: string, request: RetrieveRequest = {}): Promise<RetrievalResult> {
    const started = performance.now();
    const k = Math.min(100, Math.max(1, Math.floor(request.k ?? 10)));
    const candidates = Math.max(20, this.options.candidates ?? 3 * k);
    const wanted = new Set(request.sources ?? this.sources);
    const query = this.normalizer.normalize(question);
    const timings: RetrievalResult['timings'] = { total: 0 };
    const timed = async <T>(source: EvidenceSource, work: () => Promise<T> | T): Promise<T> => {
      const t = performance.now();
      try {
        return await work();
      } finally {
        timings[source] = round(performance.now() - t);
      }
    };

    // Wikipedia goes first: it is network-bound and the local searches run while it waits.
    const wikipedia = wanted.has('wikipedia') && this.parts.wikipedia
      ? timed('wikipedia', () => this.parts.wikipedia!.retrieve(question, { k: Math.min(candidates, 10), ...(request.signal ? { signal: request.signal } : {}) }))
      : undefined;
    const vector = wanted.has('vector') && this.parts.vector ? timed('vector', () => this.parts.vector!.search(query, candidates)) : undefined;
    const corpusHits = wanted.has('corpus') ? await timed('corpus', () => this.lexical.search(query, { k: candidates }).hits) : [];
    const [vectorHits, wiki] = await Promise.all([vector ?? Promise.resolve([]), wikipedia ?? Promise.resolve(undefined)]);

    const lists: RankedList<Evidence>[] = [];
    if (corpusHits.length) lists.push({ retriever: 'corpus', weight: this.weights.corpus, hits: corpusHits.map(fromChunk), scoreOf: (e) => e.score });
    if (vectorHits.length) {
      const scores = new Map(vectorHits.map((v) => [v.chunkId, v.score]));
      const chunks = this.parts.store.getChunks(vectorHits.map((v) => v.chunkId));
      lists.push({
        retriever: 'vector',
        weight: this.weights.vector,
        hits: chunks.map((c) => fromChunk({ ...c, score: scores.get(c.chunkId) ?? 0, snippet: '' })),
        scoreOf: (e) => e.score,
      });
    }
    if (wiki?.passages.length) lists.push({ retriever: 'wikipedia', weight: this.weights.wikipedia, hits: wiki.passages.map(fromWikipedia) });

    const fused = reciprocalRankFusion(lists, { keyOf: (e) => e.key }).map((f) => ({ ...f.item, score: f.score, retrievers: f.retrievers }));
    const distinct = removeNearDuplicates(fused, {
      textOf: (e) => e.text,
      onMerge: (kept, dropped) => {
        for (const p of dropped.retrievers) if (!kept.retrievers.some((q) => q.retriever === p.retriever)) kept.retrievers.push(p);
      },
    });
    const quotas = this.options.quotas ?? { [WIKIPEDIA_LIVE_SOURCE]: Math.max(1, Math.ceil(k / 2)) };
    const hits = applySourceQuotas(distinct, { sourceOf: (e) => e.source, quotas, k });
    timings.total = round(performance.now() - started);
    return { hits, query, timings, ...(wiki ? { wikipedia: wiki.status } : {}) };
  }
}

function fromChunk(hit: LexicalHit): Evidence {
  return {
    key: `chunk:${hit.chunkId}`,
    chunkId: hit.chunkId,
    externalId: hit.externalId,
    source: hit.source,
    title: hit.title,
    section: hit.section || hit.question,
    url: hit.url,
    text: hit.text,
    license: hit.license,
    attribution: hit.attribution,
    score: hit.score,
    retrievers: [],
  };
}

function fromWikipedia(p: WikipediaPassage, index: number): Evidence {
  return {
    key: `wikipedia:${p.url}#${index}`,
    externalId: p.url,
    source: WIKIPEDIA_LIVE_SOURCE,
    title: p.title,
    section: p.section,
    url: p.url,
    text: p.text,
    license: p.license,
    attribution: p.attribution,
    score: 0,
    retrievers: [],
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
