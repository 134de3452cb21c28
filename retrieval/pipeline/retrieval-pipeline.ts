import { LexicalSearch, type KnowledgeStore, type LexicalHit } from '../../knowledge/index.js';
import type { RerankingModel } from '../../model/reranking/index.js';
import { applySourceQuotas, reciprocalRankFusion, removeNearDuplicates, scoreFusion, type RankedList } from '../fusion/index.js';
import type { WikipediaPassage, WikipediaRetriever, WikipediaStatus } from '../wikipedia/index.js';
import type { Evidence, EvidenceSource } from './evidence.js';
import { QueryNormalizer } from './query-normalizer.js';

/** Dense retrieval over the store's chunks (the HNSW index behind an embedder). */
export interface VectorSearcher {
  /** The nearest chunks to the question, best first; `score` is cosine similarity. */
  search(question: string, k: number): Promise<Array<{ chunkId: number; score: number }>>;
  /**
   * Cosine similarity of the question to each of the given chunks (ones without a vector are left
   * out). Optional; with it, score fusion re-scores every corpus candidate, not only the few the
   * nearest-neighbour search also returned.
   */
  similarity?(question: string, chunkIds: readonly number[]): Promise<Map<number, number>>;
}

/** The parts a pipeline fuses; only the store is required. */
export interface RetrievalPipelineParts {
  store: KnowledgeStore;
  vector?: VectorSearcher;
  wikipedia?: WikipediaRetriever;
  /** Cross-encoder that reorders the best fused candidates. Default none. */
  reranker?: RerankingModel;
  /** Query rewriting; default: abbreviations and synonyms mined from the store. */
  normalizer?: QueryNormalizer;
}

/** How corpus (BM25) and vector hits are combined. */
export type LocalFusion = 'score' | 'rrf';

/**
 * The default weight of the standardised cosine similarity in score fusion: a corpus candidate one
 * standard deviation more similar to the question than BM25's other candidates gains 1 % of the
 * best BM25 score. Small on purpose: measured with the built-in LSA-256 embedder, dense evidence
 * only helps as a tie-breaker between BM25 candidates (see {@link RetrievalPipelineOptions.vectorWeight}).
 */
export const DEFAULT_VECTOR_WEIGHT = 0.01;

/** Tuning of the fusion, each with its default. */
export interface RetrievalPipelineOptions {
  /**
   * How the local corpus and vector lists are combined. Default `score`: each corpus candidate
   * scores its BM25 score over the best one plus `vectorWeight` × its cosine similarity to the
   * question standardised over all corpus candidates (the vector index re-scores every one);
   * nearest chunks BM25 missed join with the cosine part alone, so they only add recall at the tail.
   * `rrf`: weighted reciprocal rank fusion with `weights.vector`, which never improved on BM25
   * alone with the built-in embedder: any vector rank outweighs the gap between neighbouring BM25
   * ranks (PubMedQA dev MRR@10 0.955 → 0.737 at weight 1, 0.843 at 0.3, 0.919 at 0.1).
   */
  localFusion?: LocalFusion;
  /**
   * Weight of the standardised cosine in score fusion; 0 turns dense evidence off. Default
   * {@link DEFAULT_VECTOR_WEIGHT} (0.01). Measured with the pipeline on the shared corpus (53,058
   * chunks, LSA-256, HNSW efSearch 128), k 10 (30 candidates), MRR@10 / nDCG@10 on PubMedQA dev and
   * MedQuAD paraphrase dev (`galen eval retrieval`): BM25 alone 0.9553 / 0.9639 and 0.5056 / 0.5805;
   * weight 0.005 → 0.9548 / 0.9635 and 0.5139 / 0.5891; 0.01 → 0.9553 / 0.9643 and 0.5224 / 0.5959;
   * 0.015 → 0.9540 / 0.9630 and 0.5274 / 0.6008; 0.02 → 0.9529 / 0.9621 and 0.5263 / 0.5995. With
   * 60 candidates 0.01 gives 0.9556 and 0.5240, at k 50 (150 candidates) 0.9567 and 0.5260 (BM25
   * 0.9553 / 0.5082). So 0.01 is the largest weight that never lowers PubMedQA, where BM25 already
   * ranks the abstract first for 93 % of questions and LSA alone reaches MRR@10 0.42: dense evidence
   * ties there at k 10 (MRR; nDCG and recall@10 gain) and gains a little with more candidates,
   * while it lifts the paraphrase set by 0.017. Raw cosine (max-normalised BM25 + λ·cos, exact
   * search, 100 candidates) never beat BM25 on PubMedQA above λ 0.01, nor did RRF at any weight.
   */
  vectorWeight?: number;
  /**
   * RRF weight per retriever. `corpus` weighs the local list (corpus and vectors fused) against
   * `wikipedia`; `vector` is used only with `localFusion: 'rrf'`. Default 1 each (as MedRAG): a
   * list weighted lower can only break ties, since every rank of a heavier list outscores its best.
   * Wikipedia is bounded by `quotas` instead.
   */
  weights?: Partial<Record<EvidenceSource, number>>;
  /** Candidates asked of each retriever before fusion. Default 3·k, at least 20. */
  candidates?: number;
  /** Most hits per source name in the fused list (e.g. `{ 'wikipedia-live': 3 }`). Default: Wikipedia at most half of k. */
  quotas?: Readonly<Record<string, number>>;
  /** Best fused candidates the reranker reorders (when there is one). Default 20. */
  rerankCandidates?: number;
}

export interface RetrieveRequest {
  /** Hits wanted. Default 10, at most 100. */
  k?: number;
  /** Retrievers to use. Default all that are configured. */
  sources?: readonly EvidenceSource[];
  /** Use the reranker, when the pipeline has one. Default true. */
  rerank?: boolean;
  signal?: AbortSignal;
}

/** Milliseconds per retriever, for reranking, and in all. */
export type RetrievalTimings = Partial<Record<EvidenceSource | 'rerank', number>> & { total: number };

export interface RetrievalResult {
  hits: Evidence[];
  /** The question as searched (after normalisation). */
  query: string;
  timings: RetrievalTimings;
  /** How the Wikipedia call went, when it was made. */
  wikipedia?: WikipediaStatus;
  /** How reranking went, when the pipeline has a reranker: `ok`, `skipped` (not asked), or `error` (fused order kept). */
  rerank?: 'ok' | 'skipped' | 'error';
}

/** The source name live Wikipedia passages carry. */
export const WIKIPEDIA_LIVE_SOURCE = 'wikipedia-live';

/**
 * The evidence finder: normalises the question, asks the local corpus (BM25), the vector index and
 * live Wikipedia in parallel, combines corpus and vector hits by score fusion, fuses that with
 * Wikipedia by weighted reciprocal rank fusion, folds near-identical passages together (keeping
 * every retriever's provenance), lets an optional cross-encoder reorder the best candidates, and
 * applies per-source quotas. A failing or slow retriever, or reranker, costs only its own part.
 *
 * @example
 * const pipeline = new RetrievalPipeline({ store, wikipedia, vector: vectors.searcher });
 * const { hits } = await pipeline.retrieve('What are the symptoms of gout?', { k: 5 });
 */
export class RetrievalPipeline {
  private readonly lexical: LexicalSearch;
  private readonly normalizer: QueryNormalizer;
  private readonly weights: Record<EvidenceSource, number>;
  private readonly vectorWeight: number;
  private readonly localFusion: LocalFusion;

  constructor(
    private readonly parts: RetrievalPipelineParts,
    private readonly options: RetrievalPipelineOptions = {},
  ) {
    this.lexical = new LexicalSearch(parts.store);
    this.normalizer = parts.normalizer ?? QueryNormalizer.fromStore(parts.store);
    this.weights = { corpus: 1, vector: 1, wikipedia: 1, ...options.weights };
    this.vectorWeight = options.vectorWeight ?? DEFAULT_VECTOR_WEIGHT;
    this.localFusion = options.localFusion ?? 'score';
    if (!(this.vectorWeight >= 0) || !Number.isFinite(this.vectorWeight)) throw new RangeError(`vectorWeight must be a finite number ≥ 0, got ${this.vectorWeight}`);
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
    const timings: RetrievalTimings = { total: 0 };
    const timed = async <T>(source: EvidenceSource | 'rerank', work: () => Promise<T> | T): Promise<T> => {
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
    // BM25 and the HNSW search both run on this thread; one after the other, each is timed alone.
    const corpusHits = wanted.has('corpus') ? await timed('corpus', () => this.lexical.search(query, { k: candidates, snippets: false }).hits) : [];
    const searcher = wanted.has('vector') ? this.parts.vector : undefined;
    // A failing vector index costs only its own evidence, like a dead wiki.
    const vectorHits = searcher ? await timed('vector', () => Promise.resolve().then(() => searcher.search(query, candidates)).catch(() => [])) : [];
    const wiki = wikipedia ? await wikipedia : undefined;

    const corpus = corpusHits.map(fromChunk);
    const vectorScores = new Map(vectorHits.map((v) => [v.chunkId, v.score]));
    const lists: RankedList<Evidence>[] = [];
    if (this.localFusion === 'score') {
      let rescored = new Map<string, number>();
      let similarities = new Map<number, number>();
      if (searcher?.similarity && corpusHits.length && this.vectorWeight > 0) {
        const t = performance.now();
        similarities = await Promise.resolve()
          .then(() => searcher.similarity!(query, corpusHits.map((h) => h.chunkId)))
          .catch(() => new Map<number, number>());
        rescored = new Map([...similarities].filter(([id]) => !vectorScores.has(id)).map(([id, s]) => [`chunk:${id}`, s]));
        timings.vector = round((timings.vector ?? 0) + performance.now() - t);
      }
      // Standardised over the corpus candidates: the part of the similarity that separates them.
      const basis = similarities.size ? [...similarities.values()] : [...vectorScores.values()];
      const mean = basis.reduce((sum, x) => sum + x, 0) / (basis.length || 1);
      const sd = Math.sqrt(basis.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (basis.length || 1));
      const dense = vectorHits.map((v) => ({ key: `chunk:${v.chunkId}`, chunkId: v.chunkId, score: v.score }));
      const fusedLocal = scoreFusion<{ key: string; chunkId: number; score: number }>(
        [
          { retriever: 'corpus', hits: corpus.map((e) => ({ key: e.key, chunkId: e.chunkId!, score: e.score })), scoreOf: (e) => e.score, normalize: 'max' },
          ...(this.vectorWeight > 0 ? [{ retriever: 'vector', hits: dense, scoreOf: (e: { score: number }) => e.score, weight: this.vectorWeight, normalize: { mean, sd }, rescored }] : []),
        ],
        { keyOf: (e) => e.key },
      ).slice(0, candidates);
      // Only the vector-only hits that made the cut are read from the store.
      const byId = new Map(corpus.map((e) => [e.chunkId!, e]));
      const missing = fusedLocal.map((f) => f.item.chunkId).filter((id) => !byId.has(id));
      for (const c of this.parts.store.getChunks(missing)) byId.set(c.chunkId, fromChunk({ ...c, score: vectorScores.get(c.chunkId) ?? 0, snippet: '' }));
      const local = fusedLocal.flatMap((f) => {
        const evidence = byId.get(f.item.chunkId);
        return evidence ? [{ ...evidence, score: f.score, retrievers: f.retrievers }] : [];
      });
      if (local.length) lists.push({ retriever: 'corpus', weight: this.weights.corpus, hits: local });
    } else {
      const dense = this.parts.store.getChunks(vectorHits.map((v) => v.chunkId)).map((c) => fromChunk({ ...c, score: vectorScores.get(c.chunkId) ?? 0, snippet: '' }));
      if (corpus.length) lists.push({ retriever: 'corpus', weight: this.weights.corpus, hits: corpus, scoreOf: (e) => e.score });
      if (dense.length) lists.push({ retriever: 'vector', weight: this.weights.vector, hits: dense, scoreOf: (e) => e.score });
    }
    if (wiki?.passages.length) lists.push({ retriever: 'wikipedia', weight: this.weights.wikipedia, hits: wiki.passages.map(fromWikipedia) });

    // Local hits fused by score already carry their provenance; RRF's own would only say "corpus".
    const fused = reciprocalRankFusion(lists, { keyOf: (e) => e.key }).map((f) => ({
      ...f.item,
      score: f.score,
      retrievers: f.item.retrievers.length ? f.item.retrievers : f.retrievers,
    }));
    const quotas = this.options.quotas ?? { [WIKIPEDIA_LIVE_SOURCE]: Math.max(1, Math.ceil(k / 2)) };
    const reranking = Boolean(this.parts.reranker) && request.rerank !== false;
    // Enough distinct hits for the reranker's head and for k after the quotas skip capped sources.
    const needed = (reranking ? Math.max(k, this.rerankCandidates()) : k) + fused.filter((e) => e.source in quotas).length;
    const distinct = removeNearDuplicates(fused, {
      limit: needed,
      textOf: (e) => e.text,
      onMerge: (kept, dropped) => {
        for (const p of dropped.retrievers) if (!kept.retrievers.some((q) => q.retriever === p.retriever)) kept.retrievers.push(p);
      },
    });
    let rerank: RetrievalResult['rerank'];
    let ranked = distinct;
    if (this.parts.reranker) {
      if (request.rerank === false || distinct.length === 0) rerank = 'skipped';
      else {
        const outcome = await timed('rerank', () => this.rerank(question, distinct, request.signal));
        rerank = outcome.status;
        ranked = outcome.hits;
      }
    }
    const hits = applySourceQuotas(ranked, { sourceOf: (e) => e.source, quotas, k });
    timings.total = round(performance.now() - started);
    return { hits, query, timings, ...(wiki ? { wikipedia: wiki.status } : {}), ...(rerank ? { rerank } : {}) };
  }

  private rerankCandidates(): number {
    return Math.max(1, Math.floor(this.options.rerankCandidates ?? 20));
  }

  /**
   * Reorders the best `rerankCandidates` hits by the reranker's scores (their `score` becomes the
   * reranker's, their provenance gains a `reranker` entry); the rest keep their order behind them.
   * A failing reranker keeps the fused order.
   */
  private async rerank(question: string, hits: Evidence[], signal?: AbortSignal): Promise<{ status: 'ok' | 'error'; hits: Evidence[] }> {
    const n = this.rerankCandidates();
    const head = hits.slice(0, n);
    let scores: number[];
    try {
      scores = await this.parts.reranker!.score(question, head.map((e) => [e.title, e.section, e.text].filter(Boolean).join('\n')), signal ? { signal } : undefined);
    } catch {
      return { status: 'error', hits };
    }
    if (scores.length !== head.length || !scores.every(Number.isFinite)) return { status: 'error', hits };
    const order = head.map((e, i) => ({ e, s: scores[i]! })).sort((a, b) => b.s - a.s);
    const reranked = order.map(({ e, s }, i) => ({ ...e, score: s, retrievers: [...e.retrievers, { retriever: 'reranker', rank: i + 1, score: s }] }));
    return { status: 'ok', hits: [...reranked, ...hits.slice(n)] };
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
