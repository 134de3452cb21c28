import { disclaimer } from '../answer/index.js';

const DISCLAIMERS = [disclaimer('en'), disclaimer('zh')];

/**
 * An assistant turn a client sent back, reduced to what Galen said about the question: the
 * urgent-care guidance (lines opening with ⚠️), the disclaimer, a sources/citations block and
 * citation markers are Galen's own boilerplate, and fed back to retrieval they would pull in
 * passages about emergencies or disclaimers instead of the topic.
 *
 * @example
 * assistantTurnForHistory('⚠️ This may be an emergency…\n\nGout is arthritis [1].\n\nGalen is not a doctor: …') // → 'Gout is arthritis.'
 */
export function assistantTurnForHistory(text: string): string {
  let out = text;
  for (const d of DISCLAIMERS) out = out.split(d).join('');
  // A trailing sources block ("Sources:", "References:", "来源：") and everything after it.
  out = out.replace(/\n\s*(?:#+\s*)?(?:\*\*)?(?:sources|references|citations|来源|参考资料)(?:\*\*)?\s*[:：]?\s*\n[\s\S]*$/i, '');
  return out
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('⚠️'))
    .join('\n')
    .replace(/\s*\[\d+(?:\s*[,，]\s*\d+)*\]/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
