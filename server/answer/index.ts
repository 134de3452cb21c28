/**
 * The answer pipeline: red-flag triage, retrieval, a packed and numbered context, generative or
 * extractive answers, citation checking, urgent-care guidance and the disclaimer.
 */
export {
  AnswerPipeline,
  GALEN_MODEL_ID,
  type Answer,
  type AnswerEvent,
  type AnswerFinishReason,
  type AnswerLogger,
  type AnswerMode,
  type AnswerModelInfo,
  type AnswerPipelineOptions,
  type AnswerPipelineParts,
  type AnswerRequest,
  type AnswerTriage,
  type ExtractiveOptions,
} from './answer-pipeline.js';
export { AnswerError, type AnswerErrorCode } from './errors.js';
export { knownSources, unknownSources } from './requested-sources.js';
export { loadConfiguredModel } from './configured-model.js';
export { toCitation, type Citation, type NumberedPassage } from './citation.js';
export { CitationFilter, checkCitations, type CheckedText } from './citation-checker.js';
export { packContext, type DroppedPassage, type PackedContext, type PackOptions } from './context-packer.js';
export { buildPrompt, renderPassage, COMPACT_DOCTOR_PERSONA, DOCTOR_PERSONA, type PromptInput } from './prompt-builder.js';
export { writeExtractiveAnswer } from './extractive-answerer.js';
export {
  DEFAULT_FOCUS_THRESHOLD,
  planAnswer,
  type AnswerPart,
  type AnswerPlan,
  type PlanOptions,
  type Quote,
} from './answer-plan.js';
export { focusScore, focusTerms, questionFocus, type QuestionFocus } from './focus-match.js';
export { interactionPair, type InteractionPair } from './interaction-pair.js';
export { interactionNotCovered, nearMissLead, notCoveredAnswer, notSaid } from './abstention.js';
export { quotableSentences } from './quotable-sentences.js';
export { sectionLeads, type SectionLead, type SectionStore } from './section-leads.js';
export { authorityOf, authorityRank, type SourceAuthority } from './source-authority.js';
export { classifyQuestion, answersType, sectionMatchesType, type QuestionType } from '../../retrieval/analysis/index.js';
export { splitSentences } from './sentences.js';
export { estimateTokens } from './token-estimate.js';
export { answerTerms } from './answer-terms.js';
export { describePatient, patientAlerts, patientSearchTerms, type AlertPassage, type PatientContext } from './patient-context.js';
export { detectLanguage, disclaimer, noEvidenceAnswer, type AnswerLanguage } from './disclaimer.js';
export * from './triage/index.js';
