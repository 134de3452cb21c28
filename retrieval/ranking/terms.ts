import { stemmer } from 'stemmer';
import { STOPWORDS } from '../../knowledge/index.js';

const stems = new Map<string, string>();

/** A word's Porter stem (cached: the same few thousand words recur in every question and passage). */
export function stemOf(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    s = /^[a-z]+$/.test(word) ? stemmer(word) : word;
    if (stems.size < 200_000) stems.set(word, s);
  }
  return s;
}

/**
 * The content terms of a text: lower-cased letter/digit words, stopwords and one-letter words
 * dropped, Porter-stemmed. What the ranking features and the textbook BM25 compare.
 *
 * @example
 * contentTerms('What are the symptoms of gout?') // → ['symptom', 'gout']
 */
export function contentTerms(text: string): string[] {
  const out: string[] = [];
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (w.length < 2 || STOPWORDS.has(w)) continue;
    out.push(stemOf(w));
  }
  return out;
}
