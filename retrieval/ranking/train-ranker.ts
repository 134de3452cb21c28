import { authorityPrior, RANKER_FEATURES, type RankerModel } from './learned-ranker.js';
import { trainSoftmaxRanking } from './softmax-ranking.js';

/** One training question: its candidates' features and their grades (4 excellent … 1 incorrect or unjudged). */
export interface RankerExample {
  features: number[][];
  grades: number[];
}

/** A model that scores every candidate 0 (keeps the fused order): what features are computed with before training. */
export function untrainedRankerModel(): RankerModel {
  return {
    kind: 'galen-passage-ranker',
    version: 1,
    logistic: {
      features: [...RANKER_FEATURES],
      mean: RANKER_FEATURES.map(() => 0),
      scale: RANKER_FEATURES.map(() => 1),
      weights: RANKER_FEATURES.map(() => 0),
      bias: 0,
    },
  };
}

/**
 * Fits the ranker: a linear scorer trained with a listwise softmax loss (each question's relevant
 * candidates, graded 3 or 4, against its others; see `trainSoftmaxRanking`), with the fixed
 * authority prior added to every candidate's score as at serving time. Chosen over pointwise
 * logistic regression, and its L2 penalty, by 5-fold cross-validation on the dev questions.
 * Questions with no positive or no negative candidate teach nothing and are skipped. The authority
 * feature is not learned (weight 0).
 *
 * @example
 * const model = trainRanker(examples); // examples from the dev split's candidates
 */
export function trainRanker(examples: readonly RankerExample[], options: { l2?: number } = {}): RankerModel {
  const lists = examples
    .map((ex) => ({ rows: ex.features, relevant: ex.grades.map((g) => g >= 3), offsets: ex.features.map(authorityPrior) }))
    .filter((l) => l.relevant.some(Boolean) && l.relevant.some((r) => !r));
  if (!lists.length) throw new RangeError('no training question has both a relevant and an irrelevant candidate');
  const logistic = trainSoftmaxRanking(RANKER_FEATURES, lists, {
    ...(options.l2 !== undefined ? { l2: options.l2 } : {}),
    // The sets judge MedQuAD references only, so every other level would look irrelevant: the
    // ranker's fixed authority prior weighs it instead.
    unlearned: ['authority'],
  });
  return {
    kind: 'galen-passage-ranker',
    version: 1,
    logistic,
    trainedOn: { questions: lists.length, candidates: lists.reduce((n, l) => n + l.rows.length, 0) },
  };
}
