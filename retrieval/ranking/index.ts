/**
 * Ranking of retrieved passages: question entailment (RQE) between a question and a passage's own
 * question, a learned logistic-regression ranker over BM25, entailment, focus, type and vector
 * features (models shipped beside this file, retrained by `galen eval train-entailment` and
 * `galen eval train-ranker`), and collapsing of a section's chunks into one hit.
 */
export { collapseSections, type CollapsibleHit } from './collapse-sections.js';
export { checkModel, LogisticModel, logit, probability, trainLogistic, type TrainOptions } from './logistic-regression.js';
export {
  ENTAILMENT_FEATURES,
  ENTAILMENT_MODEL_FILE,
  EntailmentModel,
  entailmentFeatures,
  type PreparedQuestion,
  prepareQuestion,
  QuestionEntailment,
} from './question-entailment.js';
export {
  authorityPrior,
  DEFAULT_RANK_CANDIDATES,
  LearnedRanker,
  type LearnedRankerOptions,
  RANKED_COLLECTIONS,
  RANKER_FEATURES,
  RANKER_MODEL_FILE,
  type RankableHit,
  type RankedCandidate,
  RankerModel,
} from './learned-ranker.js';
export { readRqePairs, type RqePair } from './rqe-pairs.js';
export { entailmentAccuracy, trainEntailment } from './train-entailment.js';
export { type RankingList, type SoftmaxRankingOptions, trainSoftmaxRanking } from './softmax-ranking.js';
export { trainRanker, type RankerExample, untrainedRankerModel } from './train-ranker.js';
export { contentTerms, stemOf } from './terms.js';
