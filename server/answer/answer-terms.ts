import { stemmer } from 'stemmer';
import { STOPWORDS } from '../../knowledge/index.js';

// The knowledge stopwords, plus the words questions are asked with ("tell me how many ways to…"),
// which say nothing about which sentence answers.
const ANSWER_STOPWORDS: ReadonlySet<string> = new Set([...STOPWORDS, 'know', 'tell', 'much', 'many', 'way', 'ways', 'help']);

/**
 * The content terms of a text for matching sentences to a question: Porter-stemmed English words
 * (stopwords dropped) and Chinese character bigrams.
 *
 * @example
 * answerTerms('What are the symptoms of gout?') // → ['symptom', 'gout']
 */
export function answerTerms(text: string): string[] {
  const lower = text.normalize('NFKC').toLowerCase();
  const terms: string[] = [];
  for (const word of lower.match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []) {
    if (/[\u4e00-\u9fff]/.test(word)) {
      const han = [...word.replace(/[^\u4e00-\u9fff]/g, '')];
      for (let i = 0; i + 1 < han.length; i++) terms.push(han[i]! + han[i + 1]!);
      if (han.length === 1) terms.push(han[0]!);
      continue;
    }
    const w = word.replace(/'s$/, '').replace(/'/g, '');
    if (w.length < 2 || ANSWER_STOPWORDS.has(w)) continue;
    terms.push(stemmer(w));
  }
  return terms;
}
