/**
 * English question words and function words. MediaWiki's database search (SQLite, MySQL) ANDs
 * every term, so "what are the symptoms of monkeypox" finds nothing where "symptoms monkeypox"
 * finds the article; CirrusSearch (Wikipedia) ranks better without them too.
 */
const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
    'our ours ourselves out over own same she should so some such than that the their theirs them themselves then there ' +
    'these they this those through to too under until up very was we were what when where which while who whom why will ' +
    'with would you your yours yourself yourselves tell explain describe please know get got also may might must shall ' +
    'there\'s what\'s whats us one thing things'
  ).split(' '),
);

/** Longest search string sent (CirrusSearch refuses queries over 300 characters). */
const MAX_QUERY_CHARS = 300;

/** How a question is searched for. */
export interface SearchQuery {
  /** Content words, lower case, in question order, without duplicates. */
  keywords: string[];
  /** The search string sent to the wiki (`keywords` joined by spaces); `''` when nothing is searchable. */
  text: string;
}

/**
 * Turns any text into a safe full-text search: letters and digits only (no quotes, `-`, `*`,
 * `intitle:` or other search syntax survives), question and function words dropped, at most
 * `maxKeywords` words and 300 characters. Stopwords are kept when nothing else is left
 * ("The Who"). The result is also the cache key's normal form: questions that search the same
 * share an entry.
 *
 * @example
 * toSearchQuery('What are the symptoms of monkeypox?')
 * // → { keywords: ['symptoms', 'monkeypox'], text: 'symptoms monkeypox' }
 */
export function toSearchQuery(question: string, maxKeywords = 8): SearchQuery {
  const words = question
    .normalize('NFKC')
    .toLowerCase()
    // Wiki markup and URLs are not what anyone asks about: drop their syntax, keep their words.
    .match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];
  const unique = [...new Set(words.map((w) => w.replace(/['’]s$/u, '').replace(/['’]/gu, '')))].filter(Boolean);
  const content = unique.filter((w) => !STOPWORDS.has(w));
  const keywords: string[] = [];
  let length = 0;
  for (const word of content.length ? content : unique) {
    if (keywords.length >= maxKeywords || length + word.length + 1 > MAX_QUERY_CHARS) break;
    keywords.push(word);
    length += word.length + 1;
  }
  return { keywords, text: keywords.join(' ') };
}

/** Lower-case words of a title, for matching against a query's keywords. */
export function titleWords(title: string): string[] {
  return title.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
