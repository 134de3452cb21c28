import { trainLogistic } from './logistic-regression.js';
import { ENTAILMENT_FEATURES, type EntailmentModel, prepareQuestion, QuestionEntailment } from './question-entailment.js';
import type { RqePair } from './rqe-pairs.js';

/**
 * Trains the entailment model on labelled pairs: IDF from the pairs' questions (terms seen at least
 * twice kept), then the logistic regression on {@link ENTAILMENT_FEATURES}.
 *
 * @example
 * const model = trainEntailment(await readRqePairs('rqe-train-amia2016.xml'));
 */
export function trainEntailment(pairs: readonly RqePair[], options: { l2?: number } = {}): EntailmentModel {
  const questions = [...new Set(pairs.flatMap((p) => [p.chq, p.faq]))];
  const df = new Map<string, number>();
  for (const q of questions) for (const t of prepareQuestion(q).terms) df.set(t, (df.get(t) ?? 0) + 1);
  const n = questions.length;
  const idfOf = (d: number) => Number(Math.log(1 + (n - d + 0.5) / (d + 0.5)).toFixed(3));
  const idf: Record<string, number> = {};
  for (const [t, d] of [...df].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (d >= 2) idf[t] = idfOf(d);
  const draft: EntailmentModel = {
    kind: 'galen-question-entailment',
    version: 1,
    logistic: {
      features: [...ENTAILMENT_FEATURES],
      mean: ENTAILMENT_FEATURES.map(() => 0),
      scale: ENTAILMENT_FEATURES.map(() => 1),
      weights: ENTAILMENT_FEATURES.map(() => 0),
      bias: 0,
    },
    idf,
    defaultIdf: idfOf(1),
  };
  const featurizer = new QuestionEntailment(draft);
  const rows = pairs.map((p) => featurizer.features(prepareQuestion(p.chq), prepareQuestion(p.faq)));
  const logistic = trainLogistic(
    ENTAILMENT_FEATURES,
    rows,
    pairs.map((p) => (p.entails ? 1 : 0)),
    { l2: options.l2 ?? 1e-3 },
  );
  return { ...draft, logistic };
}

/** Share of pairs whose label the model gets right at probability 0.5. */
export function entailmentAccuracy(rqe: QuestionEntailment, pairs: readonly RqePair[]): number {
  if (!pairs.length) return 0;
  return pairs.filter((p) => rqe.score(p.chq, p.faq) >= 0.5 === p.entails).length / pairs.length;
}
