/**
 * Retrieval evaluation: JSONL question sets with relevant citation ids, recall@k / MRR@10 /
 * nDCG@10, P@5 and graded top-1, the shipped development sets (`sets/pubmedqa-dev.jsonl`,
 * `sets/medquad-paraphrase-dev.jsonl`) and the consumer sets (`sets/liveqa-consumer.jsonl`,
 * `sets/chiqa-judged.jsonl`; regenerate them with
 * `node --import tsx retrieval/evaluation/build-dev-sets.ts`). What `galen eval retrieval` runs.
 */
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../knowledge/index.js';

export { loadEvalSet, formatEvalSet, EvalQuestion, EvalSplit, type EvalSet } from './eval-set.js';
export { readLiveQa, readJudgedAnswers, type LiveQaQuestion, type JudgedQuestion } from './consumer-qa-files.js';
export { liveQaQuestions, judgedAnswerQuestions, sourcePassages, splitOf, DEV_SHARE } from './consumer-qa-sets.js';
export { matchAnswers, type MatchablePassage, type PassageMatch } from './passage-matcher.js';
export { TextbookBm25, TEXTBOOK_BM25 } from './textbook-bm25.js';
export { scoreRanking, meanMetrics, type QuestionMetrics, type SetMetrics } from './metrics.js';
export { evaluateRetrieval, type RetrievalRun, type EvaluateOptions, type EvaluationReport, type RunResult } from './evaluate-retrieval.js';
export { pubmedqaDevQuestions, medquadParaphraseQuestions, MEDQUAD_PARAPHRASES, type MedquadParaphraseOptions } from './dev-sets.js';
export { EvaluationError, type EvaluationErrorCode } from './errors.js';

/** The shipped development sets: PubMedQA dev (question → its abstract) and MedQuAD paraphrases. */
export const DEV_SETS: readonly string[] = ['pubmedqa-dev.jsonl', 'medquad-paraphrase-dev.jsonl'].map((name) =>
  join(PACKAGE_ROOT, 'retrieval', 'evaluation', 'sets', name),
);

/**
 * The consumer-question sets, graded and split dev/heldout: LiveQA questions whose reference
 * answers are found in seed-corpus passages, and CHiQA's judged answers found there.
 */
export const CONSUMER_SETS: readonly string[] = ['liveqa-consumer.jsonl', 'chiqa-judged.jsonl'].map((name) =>
  join(PACKAGE_ROOT, 'retrieval', 'evaluation', 'sets', name),
);
