import { z } from 'zod';
import { WikipediaError, toWikipediaError } from './errors.js';
import { httpGet } from './http-get.js';
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

/**
 * The MediaWiki API calls the retriever makes — full-text search, a title lookup and one
 * article's text — with every answer checked against the shape it must have. Failures reject
 * with a `WikipediaError` whose code says what went wrong.
 *
 * Every call takes an optional `signal`: aborting it ends the request and closes its connection,
 * so a stalled wiki keeps no sockets open after the caller gave up.
 *
 * @example
 * const client = new MediaWikiClient('https://en.wikipedia.org/w/api.php');
 * const [hit] = await client.search('symptoms monkeypox', 5);
 * const article = await client.article(hit.pageId);
 */
export class MediaWikiClient {
  private readonly headers: Record<string, string>;
  private mode: ContentMode;

  constructor(
    readonly apiUrl: string,
    options: { userAgent?: string; content?: ContentMode } = {},
  ) {
    this.headers = { 'User-Agent': options.userAgent ?? 'Galen/0.1 (open-source medical question answering)' };
    this.mode = options.content ?? 'auto';
  }

  /** Titles of pages (main namespace) whose text matches `query`, best first. */
  async search(query: string, limit: number, signal?: AbortSignal): Promise<SearchHit[]> {
    const body = await this.call(signal, {
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
  async existingTitles(titles: string[], signal?: AbortSignal): Promise<(SearchHit & { from: number })[]> {
    if (!titles.length) return [];
    const body = await this.call(signal, { prop: 'pageprops', ppprop: 'disambiguation', titles: titles.slice(0, 50).join('|') });
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
  async article(pageId: number, signal?: AbortSignal): Promise<Article | null> {
    if (this.mode !== 'revisions') {
      const page = await this.page(signal, {
        prop: 'extracts|info',
        inprop: 'url',
        explaintext: 1,
        exsectionformat: 'wiki',
        pageids: pageId,
      });
      if (!page) return null;
      if (page.extract !== undefined) return toArticle(page, page.extract, pageId, this.apiUrl);
      if (this.mode === 'extracts') throw new WikipediaError('API_ERROR', 'the wiki returned no extract (is TextExtracts installed?)');
      // No `extract` at all: the wiki lacks TextExtracts. Remember, and read wikitext from now on.
      this.mode = 'revisions';
    }
    const page = await this.page(signal, { prop: 'revisions|info', rvprop: 'content', rvslots: 'main', inprop: 'url', pageids: pageId });
    if (!page) return null;
    const revision = page.revisions?.[0];
    const wikitext = revision?.slots?.main['*'] ?? revision?.slots?.main.content ?? revision?.['*'];
    if (wikitext === undefined) throw new WikipediaError('BAD_RESPONSE', `page ${pageId} came without its text`);
    return toArticle(page, wikitextToPlain(wikitext), pageId, this.apiUrl);
  }

  private async page(signal: AbortSignal | undefined, params: Record<string, string | number>): Promise<z.infer<typeof pageSchema> | null> {
    const body = await this.call(signal, params);
    const parsed = pagesResponse.safeParse(body);
    if (!parsed.success) throw new WikipediaError('BAD_RESPONSE', `unexpected page response: ${summarise(body)}`);
    const page = Object.values(parsed.data.query.pages)[0];
    return !page || page.missing !== undefined ? null : page;
  }

  /** One `action=query` GET: its JSON, or a `WikipediaError` (or the signal's reason once aborted). */
  private async call(signal: AbortSignal | undefined, params: Record<string, string | number>): Promise<unknown> {
    const query = new URLSearchParams({ format: 'json', action: 'query', redirects: '1' });
    for (const [name, value] of Object.entries(params)) query.set(name, String(value));
    let response: Awaited<ReturnType<typeof httpGet>>;
    try {
      response = await httpGet(`${this.apiUrl}?${query}`, signal ? { headers: this.headers, signal } : { headers: this.headers });
    } catch (error) {
      throw signal?.aborted && error === signal.reason ? error : toWikipediaError(error);
    }
    if (response.status < 200 || response.status > 299) {
      throw new WikipediaError('HTTP_STATUS', `${response.status}: ${response.statusText}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch (error) {
      throw new WikipediaError('BAD_RESPONSE', `not JSON: ${summarise(response.body)}`, { cause: error });
    }
    const apiError = typeof body === 'object' && body !== null ? (body as { error?: { info?: unknown; code?: unknown } }).error : undefined;
    if (apiError) throw new WikipediaError('API_ERROR', String(apiError.info ?? apiError.code ?? 'the API reported an error'));
    return body;
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
