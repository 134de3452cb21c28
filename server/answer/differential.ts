import type { AnswerLanguage } from './disclaimer.js';

/**
 * What Galen says of a message that describes symptoms without naming their cause: the conditions
 * the sources list with them, hedged (never a diagnosis), and that a clinician must find the cause.
 */

/**
 * The opening of a differential; the quoted sentences about each condition follow it.
 *
 * @example
 * differentialLead('en', ['Neck pain', 'Arm pain'], ['Thoracic outlet syndrome', 'Brachial neuritis'])
 * // → 'Symptoms like these (neck pain, arm pain) can occur with several conditions, among them Thoracic outlet syndrome or Brachial neuritis; the sources cannot tell which, if any, you have:'
 */
export function differentialLead(language: AnswerLanguage, symptoms: readonly string[], conditions: readonly string[]): string {
  if (language === 'zh') {
    const seen = symptoms.length ? `（${symptoms.join('、')}）` : '';
    return `这类症状${seen}可见于多种疾病，例如${conditions.join('、')}；资料无法判断您是否患有其中某种：`;
  }
  const seen = symptoms.length ? ` (${symptoms.map((s) => s.toLowerCase()).join(', ')})` : '';
  return `Symptoms like these${seen} can occur with several conditions, among them ${orList(conditions)}; the sources cannot tell which, if any, you have:`;
}

/**
 * The closing of a differential: who finds the cause, and when to go sooner.
 *
 * @example
 * differentialClose('en') // → 'Only a clinician who examines you can find the cause: …'
 */
export function differentialClose(language: AnswerLanguage): string {
  if (language === 'zh') return '只有为您检查的医生才能找出原因：请尽快就医；如果症状严重、突然出现或正在加重，请立即就医。';
  return 'Only a clinician who examines you can find the cause: see one soon, and at once if the symptoms are severe, sudden or getting worse.';
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
