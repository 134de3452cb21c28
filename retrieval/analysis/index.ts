/**
 * Question analysis: language, focus entities resolved to the corpus vocabulary, question types,
 * the core question and the text to search. Retrieval runs it and returns it with its results.
 */
export type { AnalysedQuestion, FocusEntity } from './analysed-question.js';
export { QuestionAnalyser, type AnalyseOptions, type QuestionAnalyserParts } from './question-analyser.js';
export { detectLanguage, type QuestionLanguage } from './language.js';
export { contentTermCount, withPreviousTurn } from './follow-up.js';
export { MEDICAL_ABBREVIATIONS, QueryNormalizer, type QueryNormalizerOptions } from './query-normalizer.js';
export {
  answersType,
  classifyQuestion,
  classifyQuestionTypes,
  MEDQUAD_QTYPES,
  QUESTION_TYPES,
  sectionMatchesType,
  type QuestionType,
} from './question-type.js';
