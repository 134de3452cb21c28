import { STOPWORDS } from '../../knowledge/index.js';

// The knowledge stopwords, plus the words questions are asked with ("tell me how many ways to…").
const QUESTION_STOPWORDS: ReadonlySet<string> = new Set([...STOPWORDS, 'know', 'tell', 'much', 'many', 'way', 'ways', 'help']);

/** Content terms fewer than this make a question a follow-up that names nothing on its own. */
const FOLLOW_UP_BELOW = 3;

/**
 * The number of content terms of a text: English words that are not stopwords, and Chinese
 * character bigrams (a lone character counts once).
 */
export function contentTermCount(text: string): number {
  let n = 0;
  for (const word of text
    .normalize('NFKC')
    .toLowerCase()
    .match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []) {
    if (/[\u4e00-\u9fff]/.test(word)) {
      const han = word.replace(/[^\u4e00-\u9fff]/g, '').length;
      n += han === 1 ? 1 : Math.max(0, han - 1);
      continue;
    }
    const w = word.replace(/'s$/, '').replace(/'/g, '');
    if (w.length >= 2 && !QUESTION_STOPWORDS.has(w)) n++;
  }
  return n;
}

/**
 * The text searched for a question in a conversation: the question, with the previous user turn in
 * front when the question is a short follow-up ("and how is it treated?") that names nothing on its own.
 *
 * @example
 * withPreviousTurn('and how is it treated?', ['What is gout?']) // → 'What is gout? and how is it treated?'
 */
export function withPreviousTurn(question: string, previousTurns: readonly string[] = []): string {
  const last = question.trim();
  const previous = previousTurns.at(-1)?.trim();
  return previous && contentTermCount(last) < FOLLOW_UP_BELOW ? `${previous} ${last}` : last;
}
