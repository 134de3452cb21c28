/** Languages Galen analyses questions in (and writes its own sentences in). */
export type QuestionLanguage = 'en' | 'zh';

/**
 * The language of a question: `zh` when it contains Chinese characters, else `en`.
 *
 * @example
 * detectLanguage('痛风怎么治疗？') // → 'zh'
 */
export function detectLanguage(text: string): QuestionLanguage {
  return /[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en';
}
