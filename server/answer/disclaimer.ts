import type { QuestionLanguage } from '../../retrieval/analysis/index.js';

/** Languages Galen writes its own sentences (guidance, disclaimer, fallbacks) in: those it analyses questions in. */
export type AnswerLanguage = QuestionLanguage;

const DISCLAIMERS: Readonly<Record<AnswerLanguage, string>> = {
  en: 'Galen is not a doctor: this is general information from the cited sources, not a diagnosis or treatment advice. Please talk to a healthcare professional about your situation.',
  zh: 'Galen 不是医生：以上内容是来自所引用资料的一般性信息，不构成诊断或治疗建议。请就您的具体情况咨询医疗专业人员。',
};

const NO_EVIDENCE: Readonly<Record<AnswerLanguage, string>> = {
  en: "I could not find information about this in Galen's sources, so I cannot answer it reliably.",
  zh: '在 Galen 的资料中没有找到与此相关的信息，因此无法可靠地回答。',
};

/**
 * The short disclaimer every answer ends with.
 *
 * @example
 * disclaimer('en') // → 'Galen is not a doctor: …'
 */
export function disclaimer(language: AnswerLanguage): string {
  return DISCLAIMERS[language];
}

/**
 * What Galen says when no passage supports an answer (it never answers without sources).
 *
 * @example
 * noEvidenceAnswer('zh') // → '在 Galen 的资料中没有找到…'
 */
export function noEvidenceAnswer(language: AnswerLanguage): string {
  return NO_EVIDENCE[language];
}

export { detectLanguage } from '../../retrieval/analysis/index.js';
