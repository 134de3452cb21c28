import { readFileSync } from 'node:fs';
import type { Statement } from 'better-sqlite3';
import { join } from 'node:path';
import { z } from 'zod';
import { type Authority, type KnowledgeStore, MAX_TITLED, PACKAGE_ROOT } from '../../knowledge/index.js';
import { authorityWeight } from '../fusion/index.js';
import { type AnalysedQuestion, MEDQUAD_QTYPES } from '../analysis/index.js';
import { checkModel, LogisticModel, logit } from './logistic-regression.js';
import { QuestionEntailment } from './question-entailment.js';
import { contentTerms } from './terms.js';

/** The shipped ranking model, trained by `galen eval train-ranker` on the dev split of the consumer sets. */
export const RANKER_MODEL_FILE = join(PACKAGE_ROOT, 'retrieval', 'ranking', 'ranker-model.json');

/** MedQuAD collections whose passages get a learned prior (the citation id's prefix). */
export const RANKED_COLLECTIONS = [
  'MPlusHealthTopics',
  'ADAM',
  'GHR',
  'GARD',
  'NIHSeniorHealth',
  'MPlusDrugs',
  'NINDS',
  'NIDDK',
  'CancerGov',
];

/** The features of a candidate passage, in model order. */
export const RANKER_FEATURES = [
  'bm25',
  'bm25Rank',
  'fused',
  'titleBm25',
  'questionBm25',
  'entailment',
  'questionCover',
  'questionSame',
  'titleCover',
  'titleAll',
  'focusMatch',
  'typeMatch',
  'typeMatchAny',
  'generalInformation',
  'similarity',
  'authority',
  ...RANKED_COLLECTIONS.map((c) => `collection:${c}`),
] as const;

/** A saved ranking model. */
export const RankerModel = z.object({
  kind: z.literal('galen-passage-ranker'),
  version: z.literal(1),
  logistic: LogisticModel,
  /** Dev-split figures it was trained with, for reports. */
  trainedOn: z.record(z.string(), z.number()).optional(),
});
export type RankerModel = z.infer<typeof RankerModel>;

/** Field statistics for BM25 of the short fields (title, question), from the whole store. */
interface FieldStats {
  n: number;
  df: Map<string, number>;
  avgLength: number;
}

/** What the ranker keeps of a chunk. */
interface ChunkInfo {
  question: string;
  qtype: string;
  titleTerms: string[];
  questionTerms: string[];
}

/** Chunks whose {@link ChunkInfo} is remembered (about 200 bytes each). */
const MAX_CACHED_CHUNKS = 200_000;

/**
 * Log-odds added per unit of log authority weight: a dialogue (weight 0.5) loses 1.4, an
 * encyclopedia (0.8) 0.4. Fixed, not learned: the dev sets judge MedQuAD references only, so they
 * cannot teach how far a ChatDoctor dialogue should trail a reference.
 */
const AUTHORITY_PRIOR = 2;

/** The fixed log-odds a candidate's source authority adds to its learned score (from its `authority` feature). */
export function authorityPrior(features: readonly number[]): number {
  return AUTHORITY_PRIOR * Math.log(features[AUTHORITY_FEATURE] ?? 1);
}

const AUTHORITY_FEATURE = RANKER_FEATURES.indexOf('authority');

/** How often changed field statistics are re-read while a store keeps changing (an ingest). */
const STATS_REFRESH_MS = 30_000;

/** Okapi BM25 of a short field. */
const K1 = 1.2;
const B = 0.75;

/** What the ranker reads of a candidate (the pipeline's `Evidence`). */
export interface RankableHit {
  /** Store row of a local chunk; candidates without one get only the features their fields give. */
  chunkId?: number;
  externalId: string;
  title: string;
  /** The fused score. */
  score: number;
  /** Which retrievers found it; the `corpus` entry's score is its BM25. */
  retrievers: Array<{ retriever: string; rank: number; score?: number }>;
  /** Cosine similarity to the question, when the vector index scored it. */
  similarity?: number;
  /** Its source's authority level. */
  authority?: Authority;
}

/**
 * Fused candidates a question's ranking reads. Galen's BM25 keeps a short question's rarest term
 * only ("anemia" of "What are the symptoms of anemia?"), so the passage that answers is often
 * below 50th place among that term's many subjects; 100 reach it far more often.
 */
export const DEFAULT_RANK_CANDIDATES = 100;

/** Options of {@link LearnedRanker}. */
export interface LearnedRankerOptions {
  /** Candidates reranked (the rest keep their order behind them). Default {@link DEFAULT_RANK_CANDIDATES}. */
  candidates?: number;
}

/** One candidate's features, with the chunk they were computed from. */
export interface RankedCandidate<T extends RankableHit = RankableHit> {
  evidence: T;
  features: number[];
  score: number;
}

/**
 * Reorders a question's fused candidates by a learned logistic regression over: BM25 (the
 * field-weighted corpus score, its rank, the fused score), BM25 of the title and of the passage's
 * own question, entailment between the question and the passage's question (MedQuAD's) and how much
 * of that question it asks (all of it, word for word: `questionSame`), focus
 * match (title terms the question names, analysed focus = title), question-type match (the
 * passage's MedQuAD qtype vs the analysed types), the vector cosine (standardised over the
 * candidates), the weight of its source's authority level (which also weighs BM25, and adds a
 * fixed prior to the score), and a prior per MedQuAD collection. Weights are learned by `galen eval train-ranker`; the model file ships with Galen.
 *
 * @example
 * const ranker = LearnedRanker.load(store);
 * const ordered = ranker.rank(analysis, hits); // best first, `score` the model's log-odds
 */
export class LearnedRanker {
  private stats: { title: FieldStats; question: FieldStats } | undefined;
  private statsGeneration = '';
  private statsAt = 0;
  private readonly generation: Statement;
  private readonly chunkRows: Statement;
  private readonly info = new Map<number, ChunkInfo>();
  private readonly candidates: number;

  constructor(
    private readonly store: KnowledgeStore,
    readonly model: RankerModel,
    readonly entailment: QuestionEntailment,
    options: LearnedRankerOptions = {},
  ) {
    checkModel(model.logistic);
    if (model.logistic.features.join() !== RANKER_FEATURES.join())
      throw new RangeError(`ranker model features must be ${RANKER_FEATURES.join(', ')}`);
    this.candidates = Math.max(1, Math.floor(options.candidates ?? DEFAULT_RANK_CANDIDATES));
    // Row ids go through json_each: better-sqlite3 binds JS numbers as REAL.
    this.chunkRows = store.db.prepare(
      "SELECT c.id, c.title, c.question, json_extract(x.metadata, '$.qtype') AS qtype FROM chunks c JOIN sections x ON x.id = c.section_id WHERE c.id IN (SELECT value FROM json_each(?))",
    );
    this.generation = store.db.prepare("SELECT total_changes() || ':' || (SELECT data_version FROM pragma_data_version)").pluck();
  }

  /** The shipped (or a given) model and entailment model over a store. */
  static load(
    store: KnowledgeStore,
    files: { ranker?: string; entailment?: string } = {},
    options: LearnedRankerOptions = {},
  ): LearnedRanker {
    const file = files.ranker ?? RANKER_MODEL_FILE;
    let model: RankerModel;
    try {
      model = RankerModel.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      throw new RangeError(`cannot load the ranker model ${file}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
    return new LearnedRanker(store, model, QuestionEntailment.load(files.entailment), options);
  }

  /** Reads the store's field statistics now, so the first question does not wait for them. */
  warm(): void {
    this.fieldStats();
  }

  /** How many of the best fused candidates are reranked. */
  get candidateCount(): number {
    return this.candidates;
  }

  /**
   * The head of `hits` reordered by the model (scores are its log-odds), the rest behind it: the
   * {@link candidateCount} best, and any after them that BM25 found among the question's subjects'
   * own chunks (their corpus rank is past the candidates).
   */
  rank<T extends RankableHit>(analysis: AnalysedQuestion, hits: readonly T[]): T[] {
    const head = hits.slice(0, this.candidates + MAX_TITLED);
    const scored = this.score(analysis, head).sort((a, b) => b.score - a.score);
    return [
      ...scored.map(({ evidence, score }, i) => ({
        ...evidence,
        score,
        retrievers: [...evidence.retrievers, { retriever: 'ranker', rank: i + 1, score }],
      })),
      ...hits.slice(this.candidates),
    ];
  }

  /** Features and score of each candidate, in the order given. */
  score<T extends RankableHit>(analysis: AnalysedQuestion, hits: readonly T[]): RankedCandidate<T>[] {
    const rows = this.features(analysis, hits);
    return hits.map((evidence, i) => ({
      evidence,
      features: rows[i]!,
      score: logit(this.model.logistic, rows[i]!) + authorityPrior(rows[i]!),
    }));
  }

  /** The {@link RANKER_FEATURES} of each candidate. */
  features(analysis: AnalysedQuestion, hits: readonly RankableHit[]): number[][] {
    if (!hits.length) return [];
    const stats = this.fieldStats();
    const chunks = this.chunkInfo(hits.flatMap((h) => (h.chunkId === undefined ? [] : [h.chunkId])));
    const queryTerms = [...new Set(contentTerms(analysis.query))];
    const querySet = new Set(queryTerms);
    const asked = this.entailment.prepare(analysis.coreQuestion || analysis.standalone, analysis.types);
    const types = analysis.types.filter((t) => t !== 'general');
    const first = types[0];
    const wantedFirst = new Set(first ? MEDQUAD_QTYPES[first] : []);
    const wantedAny = new Set(types.flatMap((t) => MEDQUAD_QTYPES[t]));
    const general = !first || first === 'definition';
    const focusNames = new Set(analysis.focus.map((f) => f.name.toLowerCase()));
    const corpusScore = (e: RankableHit) => e.retrievers.find((p) => p.retriever === 'corpus');
    // BM25 weighed by the source's authority, as the fusion weighs it.
    const weightedBm25 = (h: RankableHit) => (corpusScore(h)?.score ?? 0) * (h.authority ? authorityWeight(h.authority) : 1);
    const maxBm25 = Math.max(0, ...hits.map(weightedBm25));
    const maxFused = Math.max(0, ...hits.map((h) => h.score));
    const sims = hits.flatMap((h) => (h.similarity === undefined ? [] : [h.similarity]));
    const simMean = sims.reduce((s, x) => s + x, 0) / (sims.length || 1);
    const simSd = Math.sqrt(sims.reduce((s, x) => s + (x - simMean) ** 2, 0) / (sims.length || 1)) || 1;
    const idfMass = queryTerms.reduce((s, t) => s + idf(stats.title, t), 0) || 1;
    const questionIdfMass = queryTerms.reduce((s, t) => s + idf(stats.question, t), 0) || 1;
    return hits.map((h) => {
      const chunk = h.chunkId === undefined ? undefined : chunks.get(h.chunkId);
      const title = h.title;
      const question = chunk?.question ?? '';
      const qtype = chunk?.qtype ?? '';
      const titleTerms = chunk?.titleTerms ?? contentTerms(title);
      const corpusQuestion = question ? this.entailment.prepareCached(question) : undefined;
      const titleHits = titleTerms.filter((t) => querySet.has(t)).length;
      const corpus = corpusScore(h);
      const collection = h.externalId.slice(0, h.externalId.indexOf('_'));
      const authority = h.authority;
      const row = [
        maxBm25 > 0 && corpus?.score !== undefined ? weightedBm25(h) / maxBm25 : 0,
        corpus ? 1 / Math.log2(corpus.rank + 1) : 0,
        maxFused > 0 ? h.score / maxFused : 0,
        fieldBm25(stats.title, queryTerms, titleTerms) / idfMass,
        question ? fieldBm25(stats.question, queryTerms, chunk!.questionTerms) / questionIdfMass : 0,
        corpusQuestion ? this.entailment.scorePrepared(asked, corpusQuestion) : 0,
        corpusQuestion?.terms.size ? [...corpusQuestion.terms].filter((t) => asked.terms.has(t)).length / corpusQuestion.terms.size : 0,
        corpusQuestion && corpusQuestion.normalized === asked.normalized ? 1 : 0,
        titleTerms.length ? titleHits / titleTerms.length : 0,
        titleTerms.length && titleHits === titleTerms.length ? 1 : 0,
        focusNames.has(title.toLowerCase()) ? 1 : 0,
        qtype && wantedFirst.has(qtype) ? 1 : 0,
        qtype && wantedAny.has(qtype) ? 1 : 0,
        general && qtype === 'information' ? 1 : 0,
        h.similarity === undefined ? 0 : (h.similarity - simMean) / simSd,
        authority ? authorityWeight(authority) : 1,
        ...RANKED_COLLECTIONS.map((c) => (c === collection ? 1 : 0)),
      ];
      return row;
    });
  }

  /** Title and question terms and MedQuAD qtype of chunks, remembered: the same chunks recur across questions. */
  private chunkInfo(ids: readonly number[]): Map<number, ChunkInfo> {
    const missing = ids.filter((id) => !this.info.has(id));
    if (missing.length) {
      if (this.info.size + missing.length > MAX_CACHED_CHUNKS) this.info.clear();
      for (const r of this.chunkRows.all(JSON.stringify(missing)) as Array<{ id: number; title: string; question: string; qtype: unknown }>)
        this.info.set(r.id, {
          question: r.question,
          qtype: typeof r.qtype === 'string' ? r.qtype : '',
          titleTerms: contentTerms(r.title),
          questionTerms: contentTerms(r.question),
        });
    }
    const out = new Map<number, ChunkInfo>();
    for (const id of ids) {
      const info = this.info.get(id);
      if (info) out.set(id, info);
    }
    return out;
  }

  /**
   * Title and question statistics of the store (a few hundred ms on the seed corpus), read on first
   * use and again after the store changed, at most every {@link STATS_REFRESH_MS} while it keeps changing.
   */
  private fieldStats() {
    const now = Date.now();
    if (this.stats && now - this.statsAt >= STATS_REFRESH_MS) {
      const generation = this.generation.get() as string;
      if (generation !== this.statsGeneration) {
        this.stats = undefined;
        this.info.clear();
      }
      this.statsAt = now;
    }
    if (!this.stats) {
      this.statsGeneration = this.generation.get() as string;
      this.statsAt = now;
      const title: FieldStats = { n: 0, df: new Map(), avgLength: 0 };
      const question: FieldStats = { n: 0, df: new Map(), avgLength: 0 };
      const rows = this.store.db.prepare('SELECT title, question FROM chunks').raw(true).iterate() as IterableIterator<[string, string]>;
      for (const [t, q] of rows) {
        count(title, contentTerms(t));
        count(question, contentTerms(q));
      }
      for (const f of [title, question]) f.avgLength = f.avgLength / (f.n || 1);
      this.stats = { title, question };
    }
    return this.stats;
  }
}

function count(stats: FieldStats, terms: readonly string[]): void {
  stats.n++;
  stats.avgLength += terms.length;
  for (const t of new Set(terms)) stats.df.set(t, (stats.df.get(t) ?? 0) + 1);
}

function idf(stats: FieldStats, term: string): number {
  const df = stats.df.get(term) ?? 0;
  return Math.log(1 + (stats.n - df + 0.5) / (df + 0.5));
}

function fieldBm25(stats: FieldStats, query: readonly string[], field: readonly string[]): number {
  if (!field.length) return 0;
  const tf = new Map<string, number>();
  for (const t of field) tf.set(t, (tf.get(t) ?? 0) + 1);
  let score = 0;
  for (const t of query) {
    const f = tf.get(t);
    if (!f) continue;
    score += (idf(stats, t) * f * (K1 + 1)) / (f + K1 * (1 - B + (B * field.length) / (stats.avgLength || 1)));
  }
  return score;
}
