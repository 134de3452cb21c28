/** Chinese, Japanese and Korean characters (the ranges the knowledge store's CJK detection uses). */
const CJK_CHAR = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u;
const CJK_RUNS =
  /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+|[^\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/gu;
const WORDS = /[\p{L}\p{M}\p{N}]+/gu;
/** Longer "words" are URLs, base64 or chemical strings glued together: noise for LSA. */
const MAX_WORD_LENGTH = 40;
/** Texts are cut here before tokenising, so a pasted book costs a bounded time. */
const MAX_TEXT_LENGTH = 100_000;

/**
 * English function words. The fitted vocabulary also drops any term in more than half the texts,
 * but short corpora (tests, a single source) would keep these, and they carry no topic.
 */
const STOPWORDS = new Set(
  `a about above after again against all also am an and any are as at be because been before being below between both but by
  can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how
  i if in into is it its itself just may me might more most must my myself no nor not now of off on once only or other our ours
  ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those
  through to too under until up very was we were what when where which while who whom why will with would you your yours yourself
  yourselves`.split(/\s+/),
);

/**
 * Harman's "S" stemmer (1991): folds English plurals only (`diseases` → `disease`,
 * `therapies` → `therapy`, `kidneys` → `kidney`), leaving `virus`, `glass`, `diabetes`-like words
 * alone. Lighter than Porter on purpose: LSA itself merges related forms through co-occurrence, and a
 * light stemmer never conflates unrelated medical terms (Porter maps `organ`, `organic` and
 * `organization` together).
 *
 * @example
 * lightStem('therapies') // → 'therapy'
 */
export function lightStem(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && !word.endsWith('eies') && !word.endsWith('aies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('es') && !word.endsWith('aes') && !word.endsWith('ees') && !word.endsWith('oes')) return word.slice(0, -1);
  if (word.endsWith('s') && !word.endsWith('us') && !word.endsWith('ss') && !word.endsWith('is')) return word.slice(0, -1);
  return word;
}

/**
 * The terms of a text, in order, with repeats: NFKC-normalised, lower-cased Unicode words
 * (letters, marks, digits) of 2–40 characters, English stopwords removed, plurals folded by
 * {@link lightStem}; Chinese, Japanese and Korean runs become overlapping character bigrams (a lone
 * CJK character is kept as itself), since those scripts do not separate words with spaces.
 * Any string is valid input; only the first 100,000 characters are read.
 *
 * @example
 * tokenizeTerms('What causes Gout?')    // → ['cause', 'gout']
 * tokenizeTerms('糖尿病的症状')           // → ['糖尿', '尿病', '病的', '的症', '症状']
 */
export function tokenizeTerms(text: string): string[] {
  const terms: string[] = [];
  const normalized = text.slice(0, MAX_TEXT_LENGTH).normalize('NFKC').toLowerCase();
  for (const word of normalized.match(WORDS) ?? []) {
    if (!CJK_CHAR.test(word)) {
      addWord(word, terms);
      continue;
    }
    for (const run of word.match(CJK_RUNS) ?? []) {
      if (!CJK_CHAR.test(run)) {
        addWord(run, terms);
        continue;
      }
      const chars = Array.from(run);
      if (chars.length === 1) terms.push(chars[0]!);
      for (let i = 0; i + 1 < chars.length; i++) terms.push(chars[i]! + chars[i + 1]!);
    }
  }
  return terms;
}

function addWord(word: string, terms: string[]): void {
  if (word.length < 2 || word.length > MAX_WORD_LENGTH || STOPWORDS.has(word)) return;
  terms.push(lightStem(word));
}
