import { RANKER_FEATURES, type RankerModel } from './learned-ranker.js';
import { trainLogistic } from './logistic-regression.js';

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
 * Fits the ranker: pointwise logistic regression, a candidate graded 3 or 4 positive, each
 * question weighing the same (half on its positives, half on its negatives). Questions with no
 * positive or no negative candidate teach nothing and are skipped. The authority feature is not
 * learned (weight 0).
 *
 * @example
 * const model = trainRanker(examples); // examples from the dev split's candidates
 */
export function trainRanker(examples: readonly RankerExample[], options: { l2?: number } = {}): RankerModel {
  const rows: number[][] = [];
  const labels: Array<0 | 1> = [];
  const weights: number[] = [];
  let used = 0;
  for (const ex of examples) {
    const positives = ex.grades.filter((g) => g >= 3).length;
    const negatives = ex.grades.length - positives;
    if (!positives || !negatives) continue;
    used++;
    ex.features.forEach((row, i) => {
      const positive = ex.grades[i]! >= 3;
      rows.push(row);
      labels.push(positive ? 1 : 0);
      weights.push(positive ? 0.5 / positives : 0.5 / negatives);
    });
  }
  if (!rows.length) throw new RangeError('no training question has both a relevant and an irrelevant candidate');
  const logistic = trainLogistic(RANKER_FEATURES, rows, labels, {
    l2: options.l2 ?? 1e-3,
    sampleWeights: weights,
    iterations: 1500,
    // The sets judge MedQuAD references only, so every other level would look irrelevant: the
    // ranker's fixed authority prior weighs it instead.
    unlearned: ['authority'],
  });
  return { kind: 'galen-passage-ranker', version: 1, logistic, trainedOn: { questions: used, candidates: rows.length } };
}
