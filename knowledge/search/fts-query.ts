import { stemmer } from 'stemmer';
import { STOPWORDS } from './stopwords.js';

/** The searchable parts of a user's text. */
export interface QueryTerms {
  /** Latin-script words (lower case, accents folded), stopwords removed unless nothing else is left. */
  words: string[];
  /** Runs of CJK characters, in order. */
  cjkRuns: string[];
  /** False when every word was a stopword (so `words` holds the stopwords). */
  contentWords: boolean;
}

const CJK_RUN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/gu;
const MAX_WORDS = 256;

/**
 * Splits any text (quotes, FTS5 operators, emoji, 10,000 characters) into plain terms. Nothing
 * of the input's syntax survives: terms are later quoted one by one, so no user text can
 * produce an FTS5 syntax error.
 *
 * @example
 * extractTerms('What is "type 2" diabetes AND NEAR(x)?') // → { words: ['type', '2', 'diabetes', 'near', 'x'], cjkRuns: [], contentWords: true }
 */
export function extractTerms(text: string): QueryTerms {
  const normal = text.normalize('NFKC');
  const cjkRuns = normal.match(CJK_RUN) ?? [];
  const latin = normal
    .replace(CJK_RUN, ' ')
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  const all = [...new Set(latin.match(/[\p{L}\p{N}]+/gu) ?? [])].filter((w) => w.length > 1 || /\d/.test(w));
  const content = all.filter((w) => !STOPWORDS.has(w));
  return { words: (content.length ? content : all).slice(0, MAX_WORDS), cjkRuns, contentWords: content.length > 0 };
}

/** The Porter stem FTS5's `porter` tokenizer stores for a lower-case word. */
export function porterStem(word: string): string {
  return /^[a-z]+$/.test(word) ? stemmer(word) : word;
}

/** A word as an FTS5 string literal: safe whatever it contains. */
export function quoteTerm(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

/** The distinct trigrams of CJK runs (runs shorter than 3 characters give none). */
export function cjkTrigrams(runs: readonly string[], max = 64): string[] {
  const out = new Set<string>();
  for (const run of runs) {
    const chars = Array.from(run);
    for (let i = 0; i + 3 <= chars.length && out.size < max; i++) out.add(chars.slice(i, i + 3).join(''));
  }
  return [...out];
}
