/**
 * Question analysis: language, focus entities resolved to the corpus vocabulary, question types,
 * the core question and the text to search. Retrieval runs it and returns it with its results.
 */
export type { AnalysedQuestion, FocusEntity } from './analysed-question.js';
export {
  bundledConditionFinder,
  bundledFocusResolver,
  bundledTypeModel,
  QuestionAnalyser,
  type AnalyseOptions,
  type QuestionAnalyserParts,
} from './question-analyser.js';
export { FocusResolver, inSense } from './focus-resolver.js';
export {
  CONDITIONS_FILE,
  ConditionFinder,
  type CandidateCondition,
  type ConditionsFile,
  type SymptomReading,
} from './condition-finder.js';
export { FOCUS_LEXICON_FILE, loadFocusLexicon, type FocusLexiconFile, type LexiconEntry } from './focus-lexicon.js';
export { LAY_TERMS } from './lay-terms.js';
export { coreQuestion, questionClauses, sentencesOf } from './core-question.js';
export { QUESTION_TYPE_MODEL_FILE, QuestionTypeModel, type QuestionTypeModelFile, type TypeScore } from './question-type-model.js';
export { fromLiveqaType, fromMedquadQtype, LIVEQA_TYPES } from './liveqa-types.js';
export { detectLanguage, type QuestionLanguage } from './language.js';
export { contentTermCount, withPreviousTurn } from './follow-up.js';
export { MEDICAL_ABBREVIATIONS, QueryNormalizer, type QueryNormalizerOptions } from './query-normalizer.js';
export {
  answersType,
  classifyQuestion,
  classifyQuestionTypes,
  ruleTypes,
  MEDQUAD_QTYPES,
  QUESTION_TYPES,
  sectionMatchesType,
  type QuestionType,
} from './question-type.js';
