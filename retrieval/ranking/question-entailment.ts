import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PACKAGE_ROOT } from '../../knowledge/index.js';
import { classifyQuestionTypes, type QuestionType } from '../analysis/index.js';
import { checkModel, LogisticModel, probability } from './logistic-regression.js';
import { contentTerms } from './terms.js';

/** The shipped entailment model, trained by `galen eval train-entailment` on the AMIA 2016 RQE pairs. */
export const ENTAILMENT_MODEL_FILE = join(PACKAGE_ROOT, 'retrieval', 'ranking', 'entailment-model.json');

/** A saved entailment model: the logistic regression and the term weights (IDF) its features use. */
export const EntailmentModel = z.object({
  kind: z.literal('galen-question-entailment'),
  version: z.literal(1),
  logistic: LogisticModel,
  /** IDF of the terms seen in at least two training questions (stems). */
  idf: z.record(z.string(), z.number()),
  /** IDF of any other term: as rare as a term seen once. */
  defaultIdf: z.number().positive(),
  /** Accuracy on the files it was measured on, for reports. */
  accuracy: z.record(z.string(), z.number()).optional(),
});
export type EntailmentModel = z.infer<typeof EntailmentModel>;

/** The features of a question pair, in model order. */
export const ENTAILMENT_FEATURES = [
  'coverB',
  'coverA',
  'jaccard',
  'idfCoverB',
  'idfJaccard',
  'bigramCoverB',
  'logLenA',
  'logLenB',
  'lenRatio',
  'typeMatch',
  'typesOverlap',
  'bTypeInA',
  'bGeneral',
  'maxMissingIdfB',
  'rarestBInA',
  'same',
] as const;

/** A question's parts the features compare, computed once per question. */
export interface PreparedQuestion {
  terms: Set<string>;
  bigrams: Set<string>;
  types: QuestionType[];
  normalized: string;
}

/**
 * Recognises question entailment (RQE): does question A (a consumer's) entail question B (a
 * corpus's, e.g. MedQuAD's "What are the symptoms of Gout ?"), that is, is every answer to B a
 * full or partial answer to A? A logistic regression over word and IDF-weighted overlap, bigram
 * overlap, lengths, and question-type agreement, after Ben Abacha & Demner-Fushman (AMIA 2016).
 *
 * @example
 * const rqe = QuestionEntailment.load();
 * rqe.score('what are the signs of gout in the feet?', 'What are the symptoms of Gout ?') // → 0.9…
 */
export class QuestionEntailment {
  private readonly cache = new Map<string, PreparedQuestion>();

  constructor(readonly model: EntailmentModel) {
    checkModel(model.logistic);
    if (model.logistic.features.join() !== ENTAILMENT_FEATURES.join())
      throw new RangeError(`entailment model features must be ${ENTAILMENT_FEATURES.join(', ')}`);
  }

  /** Loads a model file (default the shipped one). */
  static load(file: string = ENTAILMENT_MODEL_FILE): QuestionEntailment {
    return new QuestionEntailment(EntailmentModel.parse(JSON.parse(readFileSync(file, 'utf8'))));
  }

  /** Probability that `a` entails `b`. */
  score(a: string, b: string): number {
    return this.scorePrepared(this.prepare(a), this.prepareCached(b));
  }

  scorePrepared(a: PreparedQuestion, b: PreparedQuestion): number {
    return probability(this.model.logistic, this.features(a, b));
  }

  /** A question's terms, bigrams and types. */
  prepare(question: string, types?: readonly QuestionType[]): PreparedQuestion {
    return prepareQuestion(question, types);
  }

  /** {@link prepare}, remembered: corpus questions recur across questions. */
  prepareCached(question: string): PreparedQuestion {
    let p = this.cache.get(question);
    if (!p) {
      p = prepareQuestion(question);
      if (this.cache.size >= 50_000) this.cache.clear();
      this.cache.set(question, p);
    }
    return p;
  }

  features(a: PreparedQuestion, b: PreparedQuestion): number[] {
    return entailmentFeatures(a, b, (t) => this.model.idf[t] ?? this.model.defaultIdf);
  }
}

export function prepareQuestion(question: string, types?: readonly QuestionType[]): PreparedQuestion {
  const terms = contentTerms(question);
  const bigrams = new Set<string>();
  for (let i = 1; i < terms.length; i++) bigrams.add(`${terms[i - 1]} ${terms[i]}`);
  return {
    terms: new Set(terms),
    bigrams,
    types: [...(types ?? classifyQuestionTypes(question))],
    normalized: terms.join(' '),
  };
}

/** The {@link ENTAILMENT_FEATURES} of a pair. */
export function entailmentFeatures(a: PreparedQuestion, b: PreparedQuestion, idf: (term: string) => number): number[] {
  let common = 0;
  let idfCommon = 0;
  let idfB = 0;
  let maxMissing = 0;
  let rarest = '';
  let rarestIdf = -1;
  for (const t of b.terms) {
    const w = idf(t);
    idfB += w;
    if (w > rarestIdf) {
      rarestIdf = w;
      rarest = t;
    }
    if (a.terms.has(t)) {
      common++;
      idfCommon += w;
    } else if (w > maxMissing) maxMissing = w;
  }
  let idfA = 0;
  for (const t of a.terms) if (!b.terms.has(t)) idfA += idf(t);
  let bigramCommon = 0;
  for (const g of b.bigrams) if (a.bigrams.has(g)) bigramCommon++;
  const union = a.terms.size + b.terms.size - common;
  const aType = a.types[0] ?? 'general';
  const bType = b.types[0] ?? 'general';
  const specific = (t: QuestionType) => t !== 'general';
  return [
    b.terms.size ? common / b.terms.size : 0,
    a.terms.size ? common / a.terms.size : 0,
    union ? common / union : 0,
    idfB ? idfCommon / idfB : 0,
    idfB + idfA ? idfCommon / (idfB + idfA) : 0,
    b.bigrams.size ? bigramCommon / b.bigrams.size : 0,
    Math.log1p(a.terms.size),
    Math.log1p(b.terms.size),
    Math.max(a.terms.size, b.terms.size) ? Math.min(a.terms.size, b.terms.size) / Math.max(a.terms.size, b.terms.size) : 0,
    specific(aType) && aType === bType ? 1 : 0,
    a.types.some((t) => specific(t) && b.types.includes(t)) ? 1 : 0,
    specific(bType) && a.types.includes(bType) ? 1 : 0,
    specific(bType) ? 0 : 1,
    maxMissing,
    rarest && a.terms.has(rarest) ? 1 : 0,
    a.normalized === b.normalized ? 1 : 0,
  ];
}
