/**
 * Evaluation of answers: question sets (answerable consumer questions with their relevant passages,
 * and questions the corpus cannot answer) and the measures `galen eval answers` reports.
 */
export {
  ANSWER_SETS,
  loadAnswerSet,
  UNANSWERABLE_SET,
  type AnswerEvalQuestion,
  type AnswerEvalSet,
} from './answer-sets.js';
export {
  evaluateAnswers,
  type AnswerEvalOptions,
  type AnswerEvalReport,
  type Answerer,
  type AnswerSetReport,
} from './answer-evaluation.js';
