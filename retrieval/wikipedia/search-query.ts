import { STOPWORDS as KNOWLEDGE_STOPWORDS } from '../../knowledge/index.js';

/**
 * The knowledge base's stopwords plus the words questions ask with ("explain", "describe"):
 * MediaWiki's database search (SQLite, MySQL) ANDs every term, so "what are the symptoms of
 * monkeypox" finds nothing where "symptoms monkeypox" finds the article; CirrusSearch (Wikipedia)
 * ranks better without them too.
 */
const STOPWORDS: ReadonlySet<string> = new Set([
  ...KNOWLEDGE_STOPWORDS,
  'tell',
  'explain',
  'describe',
  'know',
  'whats',
  'us',
  'one',
  'thing',
  'things',
]);

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
  const words =
    question
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
  return (
    title
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** What a question may be searched for outside the machine: its medical subjects and the kind of answer it wants. */
export interface SearchTerms {
  /** Medical subjects (conditions, drugs, tests), e.g. `['gout']`, `['type 2 diabetes']`. */
  focus: readonly string[];
  /** Question-type words, e.g. `['symptoms']`, `['side', 'effects']`. */
  types: readonly string[];
}

/**
 * The search string sent to Wikipedia for a question, built from its medical focus and
 * question-type terms only (never from the question's text): subjects first, then types, through
 * {@link toSearchQuery}'s sanitising. Words holding three or more digits or an `@` are dropped
 * as a last guard (record numbers, phone numbers, e-mail addresses), and with no subject nothing
 * is searched (`text: ''`): type words alone ("symptoms") find nothing useful and say nothing
 * the wiki needs.
 *
 * @example
 * wikipediaSearchQuery({ focus: ['influenza vaccine'], types: ['side', 'effects'] }).text
 * // → 'influenza vaccine side effects'
 */
export function wikipediaSearchQuery(terms: SearchTerms): SearchQuery {
  const safe = (term: string): string =>
    term
      .split(/\s+/)
      .filter((word) => word && !word.includes('@') && (word.match(/\d/g)?.length ?? 0) < 3)
      .join(' ');
  const focus = terms.focus.map(safe).filter(Boolean);
  if (focus.length === 0) return { keywords: [], text: '' };
  return toSearchQuery([...focus, ...terms.types.map(safe)].join(' '));
}
