import type { QuestionType } from '../../retrieval/analysis/index.js';
import type { AnswerLanguage } from './disclaimer.js';

/**
 * The sentences Galen says when its sources do not answer: plainly, in the question's language,
 * citing nothing. A near miss (the subject is covered, the question type is not) says what is
 * missing and what the sources do describe.
 */

const NOT_COVERED: Readonly<Record<AnswerLanguage, string>> = {
  en: "Galen's sources do not cover this question, so I cannot answer it from them.",
  zh: 'Galen 的资料没有涉及这个问题，因此无法根据资料回答。',
};

const NOT_COVERED_SUBJECT: Readonly<Record<AnswerLanguage, (subject: string) => string>> = {
  en: (s) => `Galen's sources do not cover ${s}, so I cannot answer this from them.`,
  zh: (s) => `Galen 的资料没有涉及“${s}”，因此无法根据资料回答。`,
};

// What a question of each type asks, about a subject: "The sources do not say <how gout is treated>".
const ASKS: Readonly<Record<QuestionType, { en: (s: string) => string; zh: (s: string) => string }>> = {
  symptoms: { en: (s) => `what the symptoms of ${s} are`, zh: (s) => `${s}有哪些症状` },
  causes: { en: (s) => `what causes ${s}`, zh: (s) => `${s}的病因` },
  treatment: { en: (s) => `how ${s} is treated`, zh: (s) => `${s}如何治疗` },
  diagnosis: { en: (s) => `how ${s} is diagnosed or tested`, zh: (s) => `${s}如何诊断或检查` },
  prevention: { en: (s) => `how ${s} can be prevented`, zh: (s) => `${s}如何预防` },
  outlook: { en: (s) => `what the outlook for ${s} is`, zh: (s) => `${s}的预后` },
  inheritance: { en: (s) => `whether ${s} is inherited`, zh: (s) => `${s}是否遗传` },
  risk: { en: (s) => `who is at risk of ${s}`, zh: (s) => `哪些人易患${s}` },
  complications: { en: (s) => `what complications ${s} can have`, zh: (s) => `${s}有哪些并发症` },
  frequency: { en: (s) => `how common ${s} is`, zh: (s) => `${s}有多常见` },
  definition: { en: (s) => `what ${s} is`, zh: (s) => `${s}是什么` },
  'genetic-changes': { en: (s) => `which genetic changes lead to ${s}`, zh: (s) => `哪些基因变化导致${s}` },
  dosage: { en: (s) => `how ${s} is dosed`, zh: (s) => `${s}的用量` },
  interaction: { en: (s) => `whether ${s} interacts with other medicines`, zh: (s) => `${s}是否与其他药物相互作用` },
  'side-effects': { en: (s) => `what side effects ${s} has`, zh: (s) => `${s}有哪些副作用` },
  usage: { en: (s) => `what ${s} is used for and how`, zh: (s) => `${s}的用途和用法` },
  precautions: { en: (s) => `what precautions to take with ${s}`, zh: (s) => `使用${s}的注意事项` },
  research: { en: (s) => `what research is being done on ${s}`, zh: (s) => `${s}的研究进展` },
  support: { en: (s) => `where to find support for ${s}`, zh: (s) => `${s}的支持资源` },
  general: { en: (s) => `about this aspect of ${s}`, zh: (s) => `${s}的这方面` },
};

// What a passage of each type describes: "they describe <its symptoms>".
const DESCRIBES: Readonly<Record<QuestionType, { en: string; zh: string }>> = {
  symptoms: { en: 'its symptoms', zh: '它的症状' },
  causes: { en: 'its causes', zh: '它的病因' },
  treatment: { en: 'its treatment', zh: '它的治疗' },
  diagnosis: { en: 'how it is diagnosed', zh: '它的诊断' },
  prevention: { en: 'how to prevent it', zh: '它的预防' },
  outlook: { en: 'its outlook', zh: '它的预后' },
  inheritance: { en: 'how it is inherited', zh: '它的遗传方式' },
  risk: { en: 'who is at risk', zh: '易患人群' },
  complications: { en: 'its complications', zh: '它的并发症' },
  frequency: { en: 'how common it is', zh: '它的常见程度' },
  definition: { en: 'what it is', zh: '它是什么' },
  'genetic-changes': { en: 'its genetic causes', zh: '它的基因变化' },
  dosage: { en: 'its dosage', zh: '它的用量' },
  interaction: { en: 'its interactions', zh: '它的相互作用' },
  'side-effects': { en: 'its side effects', zh: '它的副作用' },
  usage: { en: 'how it is used', zh: '它的用法' },
  precautions: { en: 'precautions with it', zh: '注意事项' },
  research: { en: 'research on it', zh: '相关研究' },
  support: { en: 'where to find support', zh: '支持资源' },
  general: { en: 'it in general', zh: '一般信息' },
};

/**
 * Galen's answer when no source is about the question's subject; naming the subject when one is known.
 *
 * @example
 * notCoveredAnswer('en') // → "Galen's sources do not cover this question, so I cannot answer it from them."
 */
export function notCoveredAnswer(language: AnswerLanguage, subject?: string): string {
  return subject ? NOT_COVERED_SUBJECT[language](subject) : NOT_COVERED[language];
}

/**
 * The opening of a near miss: what the sources do not say, and what they describe instead; the
 * quoted sentences follow it.
 *
 * @example
 * nearMissLead('en', 'Monkeypox', 'diagnosis', 'definition')
 * // → 'The sources do not say how Monkeypox is diagnosed or tested; they describe what it is:'
 */
export function nearMissLead(language: AnswerLanguage, subject: string, asked: QuestionType, described: QuestionType): string {
  if (language === 'zh') return `资料中没有说明${ASKS[asked].zh(subject)}；资料介绍了${DESCRIBES[described].zh}：`;
  return `The sources do not say ${ASKS[asked].en(subject)}; they describe ${DESCRIBES[described].en}:`;
}

/**
 * A sentence saying the sources do not answer one of a message's questions (the others are answered).
 *
 * @example
 * notSaid('en', 'Gout', 'prevention') // → 'The sources do not say how Gout can be prevented.'
 */
export function notSaid(language: AnswerLanguage, subject: string, asked: QuestionType): string {
  return language === 'zh' ? `资料中没有说明${ASKS[asked].zh(subject)}。` : `The sources do not say ${ASKS[asked].en(subject)}.`;
}

/**
 * Galen's answer when the sources do not say whether two medicines (or a medicine and a food)
 * go together, with the advice to ask a pharmacist.
 *
 * @example
 * interactionNotCovered('en', 'ibuprofen', 'lisinopril')
 * // → "Galen's sources do not say whether ibuprofen and lisinopril can be taken together. …"
 */
export function interactionNotCovered(language: AnswerLanguage, a: string, b: string): string {
  if (language === 'zh') return `Galen 的资料没有说明${a}和${b}能否同时使用。同时服用两种药物之前，请咨询药师或医生。`;
  return `Galen's sources do not say whether ${a} and ${b} can be taken together. Ask a pharmacist or doctor before combining them.`;
}
