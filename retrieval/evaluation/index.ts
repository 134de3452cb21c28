/**
 * Retrieval evaluation: JSONL question sets with relevant citation ids, recall@k / MRR@10 /
 * nDCG@10, and the shipped development sets (`sets/pubmedqa-dev.jsonl`,
 * `sets/medquad-paraphrase-dev.jsonl`; regenerate them with
 * `node --import tsx retrieval/evaluation/build-dev-sets.ts`). What `galen eval retrieval` runs.
 */
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../knowledge/index.js';

export { loadEvalSet, formatEvalSet, EvalQuestion, type EvalSet } from './eval-set.js';
export { scoreRanking, meanMetrics, type QuestionMetrics, type SetMetrics } from './metrics.js';
export { evaluateRetrieval, type RetrievalRun, type EvaluateOptions, type EvaluationReport, type RunResult } from './evaluate-retrieval.js';
export { pubmedqaDevQuestions, medquadParaphraseQuestions, MEDQUAD_PARAPHRASES, type MedquadParaphraseOptions } from './dev-sets.js';
export { EvaluationError, type EvaluationErrorCode } from './errors.js';

/** The shipped development sets: PubMedQA dev (question → its abstract) and MedQuAD paraphrases. */
export const DEV_SETS: readonly string[] = ['pubmedqa-dev.jsonl', 'medquad-paraphrase-dev.jsonl'].map((name) =>
  join(PACKAGE_ROOT, 'retrieval', 'evaluation', 'sets', name),
);
