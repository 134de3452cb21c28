import wiki from 'wikijs';
import { z } from 'zod';
import { WikipediaError, toWikipediaError } from './errors.js';
import { wikitextToPlain } from './wikitext.js';

/** How article text is read. */
export type ContentMode =
  /** TextExtracts (`prop=extracts`, plain text), falling back to `revisions` on a wiki without it. */
  | 'auto'
  /** TextExtracts only. */
  | 'extracts'
  /** The page's wikitext (`prop=revisions`), turned into plain text here. */
  | 'revisions';

/** A search hit, in the wiki's order. */
export interface SearchHit {
  title: string;
  pageId: number;
}

/** An article's plain text with `== Heading ==` lines. */
export interface Article {
  title: string;
  pageId: number;
  /** Canonical URL of the article on that wiki. */
  url: string;
  text: string;
}

const searchResponse = z.object({
  query: z.object({
    search: z.array(z.object({ title: z.string(), pageid: z.number().int() })),
  }),
});

const titlesResponse = z.object({
  query: z
    .object({
      normalized: z.array(z.object({ from: z.string(), to: z.string() })).optional(),
      redirects: z.array(z.object({ from: z.string(), to: z.string() })).optional(),
      pages: z
        .record(
          z.string(),
          z.object({
            title: z.string(),
            pageid: z.number().int().optional(),
            missing: z.unknown().optional(),
            invalid: z.unknown().optional(),
            pageprops: z.record(z.string(), z.unknown()).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

const pageSchema = z.object({
  pageid: z.number().int().optional(),
  title: z.string(),
  missing: z.unknown().optional(),
  extract: z.string().optional(),
  fullurl: z.string().optional(),
  canonicalurl: z.string().optional(),
  revisions: z
    .array(
      z.object({
        '*': z.string().optional(),
        slots: z.object({ main: z.object({ '*': z.string().optional(), content: z.string().optional() }) }).optional(),
      }),
    )
    .optional(),
});
const pagesResponse = z.object({ query: z.object({ pages: z.record(z.string(), pageSchema) }) });

/** The part of wikijs this client uses (its bundled types say only `Object`). */
interface WikiJs {
  api(params: Record<string, string | number | undefined>): Promise<unknown>;
}

/**
 * The two MediaWiki API calls the retriever makes — full-text search and one article's text —
 * through wikijs, with every answer checked against the shape it must have. Failures reject
 * with a `WikipediaError` whose code says what went wrong.
 *
 * wikijs cannot cancel a request (it passes no AbortSignal to fetch), so an abandoned request
 * runs on until the server answers or drops it; callers stop waiting instead, and the circuit
 * breaker keeps a stalled wiki from collecting many such requests.
 *
 * @example
 * const client = new MediaWikiClient('https://en.wikipedia.org/w/api.php');
 * const [hit] = await client.search('symptoms monkeypox', 5);
 * const article = await client.article(hit.pageId);
 */
export class MediaWikiClient {
  private readonly wiki: WikiJs;
  private mode: ContentMode;

  constructor(
    readonly apiUrl: string,
    options: { userAgent?: string; content?: ContentMode } = {},
  ) {
    const headers = { 'User-Agent': options.userAgent ?? 'Galen/0.1 (open-source medical question answering) wikijs/6' };
    this.wiki = (wiki as unknown as (options: object) => WikiJs)({ apiUrl, headers });
    this.mode = options.content ?? 'auto';
  }

  /** Titles of pages (main namespace) whose text matches `query`, best first. */
  async search(query: string, limit: number): Promise<SearchHit[]> {
    const body = await this.call({
      list: 'search',
      srsearch: query,
      srlimit: Math.max(1, Math.min(limit, 50)),
      srnamespace: 0,
      // The database search backends (SQLite, MySQL) match titles only unless asked for text.
      srwhat: 'text',
      srprop: '',
      srinfo: '',
    });
    const parsed = searchResponse.safeParse(body);
    if (!parsed.success) throw new WikipediaError('BAD_RESPONSE', `unexpected search response: ${summarise(body)}`);
    return parsed.data.query.search.map((hit) => ({ title: hit.title, pageId: hit.pageid }));
  }

  /**
   * Which of `titles` are articles (after normalisation and redirects; disambiguation pages
   * left out), each hit with the index of the first title that led to it.
   */
  async existingTitles(titles: string[]): Promise<(SearchHit & { from: number })[]> {
    if (!titles.length) return [];
    const body = await this.call({ prop: 'pageprops', ppprop: 'disambiguation', titles: titles.slice(0, 50).join('|') });
    const parsed = titlesResponse.safeParse(body);
    if (!parsed.success) throw new WikipediaError('BAD_RESPONSE', `unexpected titles response: ${summarise(body)}`);
    const query = parsed.data.query ?? {};
    const follow = new Map<string, string>();
    for (const step of [...(query.normalized ?? []), ...(query.redirects ?? [])]) follow.set(step.from, step.to);
    const resolve = (title: string): string => {
      for (let hops = 0; hops < 3 && follow.has(title); hops++) title = follow.get(title)!;
      return title;
    };
    const pages = new Map<string, number>();
    for (const page of Object.values(query.pages ?? {})) {
      if (
        page.pageid !== undefined &&
        page.missing === undefined &&
        page.invalid === undefined &&
        !(page.pageprops && 'disambiguation' in page.pageprops)
      ) {
        pages.set(page.title, page.pageid);
      }
    }
    const hits: (SearchHit & { from: number })[] = [];
    titles.forEach((asked, from) => {
      const title = resolve(asked);
      const pageId = pages.get(title);
      if (pageId !== undefined && !hits.some((hit) => hit.pageId === pageId)) hits.push({ title, pageId, from });
    });
    return hits;
  }

  /** The article with page id `pageId` as plain text, or `null` when the wiki has no such page. */
  async article(pageId: number): Promise<Article | null> {
    if (this.mode !== 'revisions') {
      const page = await this.page({ prop: 'extracts|info', inprop: 'url', explaintext: 1, exsectionformat: 'wiki', pageids: pageId });
      if (!page) return null;
      if (page.extract !== undefined) return toArticle(page, page.extract, pageId, this.apiUrl);
      if (this.mode === 'extracts') throw new WikipediaError('API_ERROR', 'the wiki returned no extract (is TextExtracts installed?)');
      // No `extract` at all: the wiki lacks TextExtracts. Remember, and read wikitext from now on.
      this.mode = 'revisions';
    }
    const page = await this.page({ prop: 'revisions|info', rvprop: 'content', rvslots: 'main', inprop: 'url', pageids: pageId });
    if (!page) return null;
    const revision = page.revisions?.[0];
    const wikitext = revision?.slots?.main['*'] ?? revision?.slots?.main.content ?? revision?.['*'];
    if (wikitext === undefined) throw new WikipediaError('BAD_RESPONSE', `page ${pageId} came without its text`);
    return toArticle(page, wikitextToPlain(wikitext), pageId, this.apiUrl);
  }

  private async page(params: Record<string, string | number>): Promise<z.infer<typeof pageSchema> | null> {
    const body = await this.call(params);
    const parsed = pagesResponse.safeParse(body);
    if (!parsed.success) throw new WikipediaError('BAD_RESPONSE', `unexpected page response: ${summarise(body)}`);
    const page = Object.values(parsed.data.query.pages)[0];
    return !page || page.missing !== undefined ? null : page;
  }

  private async call(params: Record<string, string | number>): Promise<unknown> {
    try {
      return await this.wiki.api(params);
    } catch (error) {
      throw toWikipediaError(error);
    }
  }
}

function toArticle(page: z.infer<typeof pageSchema>, text: string, pageId: number, apiUrl: string): Article {
  // A wiki that does not report URLs still has index.php beside api.php.
  const url = page.canonicalurl ?? page.fullurl ?? `${apiUrl.replace(/api\.php$/, 'index.php')}?curid=${pageId}`;
  return { title: page.title, pageId: page.pageid ?? pageId, url, text };
}

/** The start of an unexpected body, for a log line. */
function summarise(body: unknown): string {
  const text = typeof body === 'string' ? body : (JSON.stringify(body) ?? String(body));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
