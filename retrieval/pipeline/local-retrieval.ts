import { DEFAULT_AUTHORITY, LexicalSearch, type KnowledgeStore, type LexicalHit } from '../../knowledge/index.js';
import type { AnalysedQuestion } from '../analysis/index.js';
import { authorityWeight, removeNearDuplicates, scoreFusion } from '../fusion/index.js';
import { collapseSections, type LearnedRanker } from '../ranking/index.js';
import { type Evidence, foldProvenance } from './evidence.js';

/** What {@link VectorSearcher.search} found. */
export interface VectorSearchResult {
  /** The nearest chunks to the question, best first; `score` is cosine similarity. */
  hits: Array<{ chunkId: number; score: number }>;
  /** Cosine similarity of the question to each of the `scoreChunks` asked for (chunks without a vector are left out). */
  similarities: Map<number, number>;
}

/** A search that found nothing (a fresh value each time: callers may keep or fill it). */
export function noVectorResult(): VectorSearchResult {
  return { hits: [], similarities: new Map() };
}

/** Dense retrieval over the store's chunks (the HNSW index behind an embedder). */
export interface VectorSearcher {
  /**
   * The `k` nearest chunks to the question and its similarity to each of `scoreChunks`, from one
   * embedding of the question. With `scoreChunks`, score fusion re-scores every corpus candidate,
   * not only the few the nearest-neighbour search also returned. A searcher that cannot score
   * given chunks leaves `similarities` empty.
   *
   * `skipNearest`, when given, is asked with those similarities before the nearest-neighbour
   * search; `true` leaves `hits` empty (the caller knows no nearest chunk could change its result).
   * A searcher may ignore it and search anyway.
   */
  search(
    question: string,
    k: number,
    scoreChunks?: readonly number[],
    skipNearest?: (similarities: ReadonlyMap<number, number>) => boolean,
  ): Promise<VectorSearchResult>;
}

/** How corpus (BM25) and vector hits are combined. */
export type LocalFusion = 'score' | 'rrf';

/**
 * The default weight of the standardised cosine similarity in score fusion: a corpus candidate one
 * standard deviation more similar to the question than BM25's other candidates gains 1 % of the
 * best BM25 score. Small on purpose: measured with the built-in LSA-256 embedder, dense evidence
 * only helps as a tie-breaker between BM25 candidates (see `RetrievalPipelineOptions.vectorWeight`).
 */
export const DEFAULT_VECTOR_WEIGHT = 0.01;

/** The local retrievers: the corpus (BM25) and the vector index. */
export type LocalSource = 'corpus' | 'vector';

/** One question for the local retrievers. */
export interface LocalRetrieveRequest {
  /** Candidates asked of each retriever, and most hits of each returned list. */
  candidates: number;
  /** The local retrievers to use (those the retriever does not have are ignored). */
  sources: readonly LocalSource[];
  /**
   * The question's subjects by the corpus's names, and the section kinds it asks for: those
   * sections' matching chunks join BM25's candidates when they rank below them (see
   * `LexicalSearchOptions.titled`). Default none.
   */
  titled?: { names: readonly string[]; qtypes: readonly string[] };
  /**
   * The analysed question: when given and the retriever ranks ({@link LocalRetriever.ranking}),
   * the corpus list comes back in the learned ranker's order. Default: fused order.
   */
  rank?: AnalysedQuestion;
  /**
   * Most hits each list returns, after collapsing, ranking and folding near-identical passages
   * together (as the pipeline folds them, provenance merged), so a pool's worker sends the few
   * the pipeline can use. Default: every hit, none folded.
   */
  keep?: number;
}

/** What the local retrievers found: ranked lists for rank fusion, and their timings in ms. */
export interface LocalRetrievalResult {
  /**
   * With score fusion one `corpus` list (BM25 and vector evidence fused, each hit's provenance
   * naming both); with `rrf` a `corpus` and a `vector` list, for the caller's rank fusion.
   */
  lists: Array<{ retriever: LocalSource; hits: Evidence[] }>;
  /** Milliseconds per retriever, and for learned ranking (unrounded). */
  timings: Partial<Record<LocalSource | 'rank', number>>;
}

/**
 * The local half of retrieval: BM25 over the store and the vector index, combined. The pipeline
 * runs one on its own thread ({@link LocalRetrieval}) or hands questions to a pool of worker
 * threads that each run one (`LocalRetrievalPool`), so that searches use every core.
 */
export interface LocalRetriever {
  /** The local retrievers it has. */
  readonly sources: readonly LocalSource[];
  /** Present when it ranks the corpus list with a learned ranker (`LocalRetrieveRequest.rank`): the candidates that ranker reads. */
  readonly ranking?: { candidates: number };
  /**
   * The question's local evidence: one hit per passage in every list (a section's chunks collapse
   * into its best one), the corpus list ranked when `request.rank` is given and it ranks.
   */
  retrieve(query: string, request: LocalRetrieveRequest): Promise<LocalRetrievalResult>;
  /** Builds what searches read from the store now (a pool's workers do it themselves at start). */
  warm?(): void;
}

/** Options of {@link LocalRetrieval}; see `RetrievalPipelineOptions` for what each does. */
export interface LocalRetrievalOptions {
  /** Default `score`. */
  localFusion?: LocalFusion;
  /** Default {@link DEFAULT_VECTOR_WEIGHT}. */
  vectorWeight?: number;
}

/**
 * BM25 and vector search on the calling thread, combined by score fusion (each corpus candidate
 * scores its BM25 score over the best one plus `vectorWeight` × its cosine similarity standardised
 * over all candidates; nearest chunks BM25 missed join with the cosine part alone) or returned as
 * two lists for reciprocal rank fusion.
 *
 * @example
 * const local = new LocalRetrieval({ store, vector: vectors.searcher });
 * const { lists } = await local.retrieve('gout causes', { candidates: 30, sources: ['corpus', 'vector'] });
 */
export class LocalRetrieval implements LocalRetriever {
  private readonly lexical: LexicalSearch;
  private readonly vectorWeight: number;
  private readonly localFusion: LocalFusion;

  /** Present with a ranker: see {@link LocalRetriever.ranking}. */
  readonly ranking?: { candidates: number };

  constructor(
    private readonly parts: { store: KnowledgeStore; vector?: VectorSearcher; ranker?: LearnedRanker },
    options: LocalRetrievalOptions = {},
  ) {
    if (parts.ranker) this.ranking = { candidates: parts.ranker.candidateCount };
    this.lexical = new LexicalSearch(parts.store);
    this.vectorWeight = options.vectorWeight ?? DEFAULT_VECTOR_WEIGHT;
    this.localFusion = options.localFusion ?? 'score';
    if (!(this.vectorWeight >= 0) || !Number.isFinite(this.vectorWeight))
      throw new RangeError(`vectorWeight must be a finite number ≥ 0, got ${this.vectorWeight}`);
  }

  warm(): void {
    this.lexical.warm();
    this.parts.ranker?.warm();
  }

  get sources(): LocalSource[] {
    return ['corpus', ...(this.parts.vector ? (['vector'] as const) : [])];
  }

  async retrieve(query: string, request: LocalRetrieveRequest): Promise<LocalRetrievalResult> {
    const { lists, timings } = await this.search(query, request);
    // One hit per passage: a section's chunks collapse into its best one.
    const collapsed = lists.map((list) => ({ ...list, hits: collapseSections(list.hits) }));
    const ranker = this.parts.ranker;
    const corpus = collapsed.find((list) => list.retriever === 'corpus');
    if (ranker && request.rank && corpus?.hits.length) {
      const t = performance.now();
      corpus.hits = ranker.rank(request.rank, corpus.hits);
      timings.rank = performance.now() - t;
    }
    for (const list of collapsed) list.hits = this.kept(list.hits, request.keep);
    return { lists: collapsed, timings };
  }

  /** The first `keep` hits once near-identical passages are folded into better-ranked ones (all, unfolded, without `keep`). */
  private kept(hits: Evidence[], keep?: number): Evidence[] {
    if (keep === undefined) return hits;
    return removeNearDuplicates(hits, { textOf: (e) => e.text, limit: keep, onMerge: foldProvenance });
  }

  /** The corpus and vector lists, fused by score (or both, for rank fusion), before collapsing and ranking. */
  private async search(query: string, request: LocalRetrieveRequest): Promise<LocalRetrievalResult> {
    const { candidates } = request;
    const timings: LocalRetrievalResult['timings'] = {};
    const timed = async <T>(source: LocalSource, work: () => Promise<T> | T): Promise<T> => {
      const t = performance.now();
      try {
        return await work();
      } finally {
        timings[source] = (timings[source] ?? 0) + performance.now() - t;
      }
    };
    // BM25 and the HNSW search both run on this thread; one after the other, each is timed alone.
    const corpusHits = request.sources.includes('corpus')
      ? await timed(
          'corpus',
          () => this.lexical.search(query, { k: candidates, snippets: false, ...(request.titled ? { titled: request.titled } : {}) }).hits,
        )
      : [];
    const searcher = request.sources.includes('vector') ? this.parts.vector : undefined;
    // Score fusion re-scores the BM25 candidates by their similarity to the question.
    const scoreChunks =
      this.localFusion === 'score' && this.vectorWeight > 0 && corpusHits.length ? corpusHits.map((h) => h.chunkId) : undefined;
    const skipNearest = (s: ReadonlyMap<number, number>) => nearestCannotEnter(corpusHits, candidates, s, this.vectorWeight);
    const nothing = noVectorResult();
    // A failing vector index costs only its own evidence, like a dead wiki.
    const { hits: vectorHits, similarities } = searcher
      ? await timed('vector', () =>
          Promise.resolve()
            .then(() => searcher.search(query, candidates, scoreChunks, scoreChunks && skipNearest))
            // A searcher answering in another shape (a JavaScript one) is a failing one.
            .then((found) => (Array.isArray(found?.hits) && found.similarities instanceof Map ? found : nothing))
            .catch(() => nothing),
        )
      : nothing;
    const corpus = corpusHits.map(fromChunk);
    // A dialogue must match better than a reference to outrank it (see AUTHORITY_WEIGHTS).
    const weightOf = (e: { authority: Evidence['authority'] }) => authorityWeight(e.authority);
    const vectorScores = new Map(vectorHits.map((v) => [v.chunkId, v.score]));
    const store = this.parts.store;

    if (this.localFusion === 'rrf') {
      const dense = store
        .getChunks(vectorHits.map((v) => v.chunkId))
        .map((c) => fromChunk({ ...c, score: vectorScores.get(c.chunkId) ?? 0, snippet: '' }));
      const lists: LocalRetrievalResult['lists'] = [];
      const weighed = corpus
        .map((e) => ({ e, s: e.score * weightOf(e) }))
        .sort((a, b) => b.s - a.s)
        .map(({ e }) => e);
      if (weighed.length) lists.push({ retriever: 'corpus', hits: weighed });
      if (dense.length) lists.push({ retriever: 'vector', hits: dense });
      return { lists, timings };
    }

    // scoreFusion counts a re-score only for items the vector list did not return itself.
    const rescored = new Map([...similarities].map(([id, s]) => [`chunk:${id}`, s]));
    // Standardised over the corpus candidates: the part of the similarity that separates them.
    const { mean, sd } = meanAndSd(similarities.size ? [...similarities.values()] : [...vectorScores.values()]);
    const dense = vectorHits.map((v) => ({ key: `chunk:${v.chunkId}`, chunkId: v.chunkId, score: v.score, authority: DEFAULT_AUTHORITY }));
    const fusedLocal = scoreFusion<{ key: string; chunkId: number; score: number; authority: Evidence['authority'] }>(
      [
        {
          retriever: 'corpus',
          hits: corpus.map((e) => ({ key: e.key, chunkId: e.chunkId!, score: e.score, authority: e.authority })),
          scoreOf: (e) => e.score,
          weightOf,
          normalize: 'max',
        },
        ...(this.vectorWeight > 0
          ? [
              {
                retriever: 'vector',
                hits: dense,
                scoreOf: (e: { score: number }) => e.score,
                weight: this.vectorWeight,
                normalize: { mean, sd },
                rescored,
              },
            ]
          : []),
      ],
      { keyOf: (e) => e.key },
    ).slice(0, Math.max(candidates, corpusHits.length));
    // Only the vector-only hits that made the cut are read from the store.
    const byId = new Map(corpus.map((e) => [e.chunkId!, e]));
    const missing = fusedLocal.map((f) => f.item.chunkId).filter((id) => !byId.has(id));
    for (const c of store.getChunks(missing))
      byId.set(c.chunkId, fromChunk({ ...c, score: vectorScores.get(c.chunkId) ?? 0, snippet: '' }));
    const local = fusedLocal.flatMap((f) => {
      const evidence = byId.get(f.item.chunkId);
      if (!evidence) return [];
      const similarity = similarities.get(f.item.chunkId) ?? vectorScores.get(f.item.chunkId);
      return [{ ...evidence, score: f.score, retrievers: f.retrievers, ...(similarity !== undefined ? { similarity } : {}) }];
    });
    return { lists: local.length ? [{ retriever: 'corpus', hits: local }] : [], timings };
  }
}

/**
 * Whether score fusion would cut every nearest chunk BM25 missed: such a chunk scores only
 * `vectorWeight · (cosine − mean) / sd`, at most that of cosine 1, so when BM25 filled the
 * candidates and even that bound does not beat the last candidate's fused score, the
 * nearest-neighbour search cannot change the list and is skipped.
 */
function nearestCannotEnter(
  corpusHits: readonly LexicalHit[],
  candidates: number,
  similarities: ReadonlyMap<number, number>,
  vectorWeight: number,
): boolean {
  const top = corpusHits[0]?.score ?? 0;
  if (corpusHits.length < candidates || !(top > 0) || similarities.size === 0) return false;
  const { mean, sd } = meanAndSd([...similarities.values()]);
  if (!(sd > 0)) return false;
  const z = (cosine: number) => (cosine - mean) / sd;
  // Cosines of float32 unit vectors may exceed 1 by rounding.
  const best = vectorWeight * z(1 + 1e-6);
  let last = Number.POSITIVE_INFINITY;
  for (const hit of corpusHits) {
    const similarity = similarities.get(hit.chunkId);
    const fused = authorityWeight(hit.authority) * (hit.score / top) + (similarity === undefined ? 0 : vectorWeight * z(similarity));
    if (fused < last) last = fused;
  }
  return best < last;
}

/** Mean and (population) standard deviation; 0 and 0 for no values. */
function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length || 1;
  const mean = values.reduce((sum, x) => sum + x, 0) / n;
  return { mean, sd: Math.sqrt(values.reduce((sum, x) => sum + (x - mean) ** 2, 0) / n) };
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
    authority: hit.authority,
    score: hit.score,
    retrievers: [],
  };
}
