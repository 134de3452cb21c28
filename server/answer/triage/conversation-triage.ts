import type { RedFlagRule } from './red-flag-rules.js';
import { RED_FLAG_RULES } from './red-flag-rules.js';
import { type TriageResult, triage } from './triage.js';

/** Most earlier user turns a continuing message is read with. */
const EARLIER_TURNS = 2;

// Words that make a message a continuation of the symptoms described before it ("it's getting
// worse", "and now my arm is numb", "现在左臂也麻了"). A new question ("What is a good diet for
// gout?") has none of them and is judged alone, so one red-flag turn does not make every later
// turn an emergency.
const CONTINUES = [
  /^\s*(?:and|also|plus|but|now|still|then|again)\b/,
  /\b(?:getting|got|gets|becoming|became|growing) (?:worse|bad|worse and worse|stronger|more (?:painful|intense|severe))\b/,
  /\bworse\b|\bworsening\b|\bspread(?:s|ing)?\b/,
  /\b(?:now|still|again|too|as well)\s*[.!?]*\s*$/,
  /\b(?:and|but) now\b|\bnow (?:my|i|i'm|i am|he|she|it|it's|his|her|they|the)\b/,
  /\b(?:it|the pain|this|that) (?:is|'s|has|keeps|won't|will not|started|hasn't|isn't|still)\b/,
  /\b(?:it|this|that) (?:hurts|goes|moved|came back|comes back)\b/,
  /越来越|更(?:严重|厉害|疼|痛)|加重|加剧|恶化|现在|而且|并且|还在|又开始|也开始|也[^，。,.!?！？]{0,4}了|还是/,
];

/** Whether a message continues the symptoms of the turns before it rather than asking afresh. */
export function continuesEarlierTurns(message: string): boolean {
  const normal = message.normalize('NFKC').toLowerCase().replace(/[’‘]/g, "'");
  return CONTINUES.some((pattern) => pattern.test(normal));
}

/**
 * Triage of a conversation: the current (last) user message is judged on its own (with the
 * patient context), and earlier user turns are read with it only when it continues them. The
 * guidance is written in the current message's language.
 *
 * @example
 * triageConversation(['I have chest pain', 'What is a good diet for gout?']).level // → 'none'
 * triageConversation(['I have chest pain', 'and now my arm is numb']).level // → 'emergency'
 */
export function triageConversation(
  userTurns: readonly string[],
  patient = '',
  rules: readonly RedFlagRule[] = RED_FLAG_RULES,
): TriageResult {
  const current = userTurns.at(-1) ?? '';
  const language = /[\u4e00-\u9fff]/.test(current) ? 'zh' : 'en';
  const earlier = continuesEarlierTurns(current) ? userTurns.slice(0, -1).slice(-EARLIER_TURNS) : [];
  return triage([...earlier, current, patient].filter(Boolean).join('\n'), rules, language);
}
