import { MAX_TITLED, type KnowledgeStore } from '../../knowledge/index.js';
import { MEDICAL_ABBREVIATIONS, MEDQUAD_QTYPES, QuestionAnalyser, type AnalysedQuestion, type QueryNormalizer } from '../analysis/index.js';
import type { RerankingModel } from '../../model/reranking/index.js';
import type { LearnedRanker } from '../ranking/index.js';
import { applySourceQuotas, reciprocalRankFusion, removeNearDuplicates, type RankedList } from '../fusion/index.js';
import {
  MedicalVocabulary,
  wikipediaSearchQuery,
  type SearchTerms,
  type WikipediaPassage,
  type WikipediaRetriever,
  type WikipediaStatus,
} from '../wikipedia/index.js';
import { type Evidence, type EvidenceSource, foldProvenance } from './evidence.js';
import { LocalRetrieval, type LocalFusion, type LocalRetriever, type LocalSource, type VectorSearcher } from './local-retrieval.js';

/** The parts a pipeline fuses; only the store is required. */
export interface RetrievalPipelineParts {
  store: KnowledgeStore;
  vector?: VectorSearcher;
  /**
   * Runs the corpus and vector searches instead of this thread (e.g. a `LocalRetrievalPool` of
   * worker threads, each with its own connection to the store and copy of the index); `vector` and
   * the fusion options are then its own. Default: a {@link LocalRetrieval} on this thread.
   */
  local?: LocalRetriever;
  wikipedia?: WikipediaRetriever;
  /** Cross-encoder that reorders the best fused candidates. Default none. */
  reranker?: RerankingModel;
  /**
   * Learned ranking of the local candidates (BM25, entailment, focus, type, vectors; see
   * `LearnedRanker`), applied before Wikipedia is fused in, by the pipeline's own
   * {@link LocalRetrieval}. A given `local` ranks with its own ranker (a pool's workers load the
   * model file) and this one is not used. Default none: fused order.
   */
  ranker?: LearnedRanker;
  /** Query rewriting for the default analyser; default: abbreviations and synonyms mined from the store. */
  normalizer?: QueryNormalizer;
  /** Question analysis; default: a {@link QuestionAnalyser} over `normalizer`. */
  analyser?: QuestionAnalyser;
  /**
   * The medical terms a question may be searched for on Wikipedia (nothing else of a question
   * leaves the machine); default: the store's focus terms and synonyms plus the abbreviation table.
   */
  vocabulary?: MedicalVocabulary;
}

/** Most hits one retrieval returns: the ranker's candidates and the subjects' own chunks after them. */
export const MAX_HITS = 100 + MAX_TITLED;

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
  /**
   * Add the chunks of the analysed subjects' own documents that BM25 ranked below the candidates
   * (`LocalRetrieveRequest.titled`). Default: when the pipeline ranks (it has a ranker and the
   * request does not turn it off); the ranker's training sets it to see the candidates ranking sees.
   */
  subjectCandidates?: boolean;
}

export interface RetrieveRequest {
  /** Hits wanted. Default 10, at most {@link MAX_HITS} (the HTTP API allows 100). */
  k?: number;
  /** Retrievers to use. Default all that are configured. */
  sources?: readonly EvidenceSource[];
  /** Use the reranker, when the pipeline has one. Default true. */
  rerank?: boolean;
  /** Use the learned ranker, when the pipeline has one and the corpus is searched. Default true. */
  rank?: boolean;
  /** Earlier user turns of the conversation, oldest first (a bare follow-up borrows the last one). */
  previousTurns?: readonly string[];
  signal?: AbortSignal;
}

/** Milliseconds per retriever, for analysis, learned ranking and reranking, and in all. */
export type RetrievalTimings = Partial<Record<EvidenceSource | 'analysis' | 'rank' | 'rerank', number>> & { total: number };

export interface RetrievalResult {
  hits: Evidence[];
  /** The question as searched (after analysis and normalisation): `analysis.query`. */
  query: string;
  /** What the question asks (language, focus, types, core question), for the answerer to reuse. */
  analysis: AnalysedQuestion;
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
  private readonly local: LocalRetriever;
  private readonly analyser: QuestionAnalyser;
  private vocabularyCache: MedicalVocabulary | undefined;
  private readonly weights: Record<EvidenceSource, number>;

  constructor(
    private readonly parts: RetrievalPipelineParts,
    private readonly options: RetrievalPipelineOptions = {},
  ) {
    this.local =
      parts.local ??
      new LocalRetrieval(
        { store: parts.store, ...(parts.vector ? { vector: parts.vector } : {}), ...(parts.ranker ? { ranker: parts.ranker } : {}) },
        {
          ...(options.localFusion ? { localFusion: options.localFusion } : {}),
          ...(options.vectorWeight !== undefined ? { vectorWeight: options.vectorWeight } : {}),
        },
      );
    this.analyser =
      parts.analyser ??
      (parts.normalizer ? new QuestionAnalyser({ normalizer: parts.normalizer }) : QuestionAnalyser.fromStore(parts.store));
    this.weights = { corpus: 1, vector: 1, wikipedia: 1, ...options.weights };
  }

  /**
   * Builds the analyser's and the ranker's store-derived parts (and the Wikipedia vocabulary) now,
   * so the first question is answered as fast as the next.
   */
  warm(): void {
    this.analyser.warm();
    this.local.warm?.();
    if (this.parts.wikipedia) this.vocabulary();
  }

  /** Retrievers this pipeline has. */
  get sources(): EvidenceSource[] {
    return [...this.local.sources, ...(this.parts.wikipedia ? (['wikipedia'] as const) : [])];
  }

  async retrieve(question: string, request: RetrieveRequest = {}): Promise<RetrievalResult> {
    const started = performance.now();
    const k = Math.min(MAX_HITS, Math.max(1, Math.floor(request.k ?? 10)));
    const wanted = new Set(request.sources ?? this.sources);
    // The ranker's features are BM25's: a vector-only search keeps the index's own order.
    const ranking = Boolean(this.local.ranking) && request.rank !== false && wanted.has('corpus');
    const candidates = Math.max(20, this.options.candidates ?? 3 * k, ranking ? this.local.ranking!.candidates : 0);
    const analysed = performance.now();
    const analysis = this.analyser.analyse(question, request.previousTurns ? { previousTurns: request.previousTurns } : {});
    const query = analysis.query;
    const timings: RetrievalTimings = { total: 0, analysis: round(performance.now() - analysed) };
    const timed = async <T>(source: EvidenceSource | 'rerank', work: () => Promise<T> | T): Promise<T> => {
      const t = performance.now();
      try {
        return await work();
      } finally {
        timings[source] = round(performance.now() - t);
      }
    };

    const wikipediaPassages = Math.min(candidates, 10);
    // Wikipedia goes first: it is network-bound and the local searches run while it waits.
    const wikipedia =
      wanted.has('wikipedia') && this.parts.wikipedia
        ? timed('wikipedia', () =>
            // Only the question's medical focus and type words go out, never its text.
            this.parts.wikipedia!.retrieve(wikipediaSearchQuery(this.wikipediaTerms(analysis)).text, {
              k: wikipediaPassages,
              ...(request.signal ? { signal: request.signal } : {}),
            }),
          )
        : undefined;
    const quotas = this.options.quotas ?? { [WIKIPEDIA_LIVE_SOURCE]: Math.max(1, Math.ceil(k / 2)) };
    const reranking = Boolean(this.parts.reranker) && request.rerank !== false;
    // The local hits this result can use: the reranker's head or k, and as many more as Wikipedia
    // passages may take places. A quota on a local source may skip any number of them: all then.
    const localQuota = Object.keys(quotas).some((source) => source !== WIKIPEDIA_LIVE_SOURCE);
    const keep = localQuota ? undefined : (reranking ? Math.max(k, this.rerankCandidates()) : k) + (wikipedia ? wikipediaPassages : 0);
    const localSources = (['corpus', 'vector'] as const).filter((source) => wanted.has(source));
    const local = localSources.length
      ? await this.local.retrieve(query, {
          candidates,
          sources: localSources,
          // The ranker tells a subject's own sections apart; BM25 alone may rank them below the candidates.
          ...((this.options.subjectCandidates ?? ranking) && analysis.focus.length ? { titled: subjectSections(analysis) } : {}),
          ...(ranking ? { rank: analysis } : {}),
          ...(keep !== undefined ? { keep } : {}),
        })
      : { lists: [], timings: {} };
    for (const [part, ms] of Object.entries(local.timings) as Array<[LocalSource | 'rank', number]>) timings[part] = round(ms);
    const wiki = wikipedia ? await wikipedia : undefined;

    const lists: RankedList<Evidence>[] = local.lists.map((list) => ({
      retriever: list.retriever,
      weight: this.weights[list.retriever],
      hits: list.hits,
      scoreOf: (e) => e.score,
    }));
    if (wiki?.passages.length)
      lists.push({ retriever: 'wikipedia', weight: this.weights.wikipedia, hits: wiki.passages.map(fromWikipedia) });

    // Local hits fused by score already carry their provenance; RRF's own would only say "corpus".
    const fused = reciprocalRankFusion(lists, { keyOf: (e) => e.key }).map((f) => ({
      ...f.item,
      score: f.score,
      retrievers: f.item.retrievers.length ? f.item.retrievers : f.retrievers,
    }));
    // Enough distinct hits for the reranker's head and for k after the quotas skip capped sources.
    const needed = (reranking ? Math.max(k, this.rerankCandidates()) : k) + fused.filter((e) => e.source in quotas).length;
    const distinct = removeNearDuplicates(fused, {
      limit: needed,
      textOf: (e) => e.text,
      onMerge: foldProvenance,
    });
    let rerank: RetrievalResult['rerank'];
    let ranked = distinct;
    if (this.parts.reranker) {
      if (!reranking || distinct.length === 0) rerank = 'skipped';
      else {
        const outcome = await timed('rerank', () => this.rerank(question, distinct, request.signal));
        rerank = outcome.status;
        ranked = outcome.hits;
      }
    }
    const hits = applySourceQuotas(ranked, { sourceOf: (e) => e.source, quotas, k });
    timings.total = round(performance.now() - started);
    return { hits, query, analysis, timings, ...(wiki ? { wikipedia: wiki.status } : {}), ...(rerank ? { rerank } : {}) };
  }

  /** Built on first use: a pipeline without Wikipedia never reads the focus terms. */
  /**
   * The store's vocabulary words found in the question, plus the names the analysis resolved its
   * focus to (the corpus's names, from the shipped vocabulary, never the words as typed), so a
   * store without curated foci still sends "gout" for "Gout".
   */
  private wikipediaTerms(analysis: AnalysedQuestion): SearchTerms {
    const terms = this.vocabulary().terms(analysis.standalone);
    const names = analysis.focus.map((f) => f.name.toLowerCase());
    return { focus: [...new Set([...terms.focus, ...names])], types: terms.types };
  }

  private vocabulary(): MedicalVocabulary {
    this.vocabularyCache ??= this.parts.vocabulary ?? MedicalVocabulary.fromTerms(this.parts.store.focusTerms(), MEDICAL_ABBREVIATIONS);
    return this.vocabularyCache;
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
      scores = await this.parts.reranker!.score(
        question,
        head.map((e) => [e.title, e.section, e.text].filter(Boolean).join('\n')),
        signal ? { signal } : undefined,
      );
    } catch {
      return { status: 'error', hits };
    }
    if (scores.length !== head.length || !scores.every(Number.isFinite)) return { status: 'error', hits };
    const order = head.map((e, i) => ({ e, s: scores[i]! })).sort((a, b) => b.s - a.s);
    const reranked = order.map(({ e, s }, i) => ({
      ...e,
      score: s,
      retrievers: [...e.retrievers, { retriever: 'reranker', rank: i + 1, score: s }],
    }));
    return { status: 'ok', hits: [...reranked, ...hits.slice(n)] };
  }
}

/** The analysed subjects' names and the MedQuAD section kinds of the asked types (a general question: its summary). */
function subjectSections(analysis: AnalysedQuestion): { names: string[]; qtypes: string[] } {
  const types = analysis.types.filter((t) => t !== 'general');
  return {
    names: analysis.focus.map((f) => f.name),
    qtypes: [...new Set((types.length ? types : (['definition'] as const)).flatMap((t) => MEDQUAD_QTYPES[t]))],
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
    authority: 'encyclopedia',
    score: 0,
    retrievers: [],
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
