import { chunkDocument } from '../../knowledge/index.js';
import type { RetrieveOptions, Retriever } from '../retriever.js';
import { splitArticle, sectionAnchor } from './article-sections.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { WikipediaError, toWikipediaError } from './errors.js';
import { MediaWikiClient, type Article, type ContentMode, type SearchHit } from './mediawiki-client.js';
import { WIKIPEDIA_ATTRIBUTION, WIKIPEDIA_LICENSE, type WikipediaPassage, type WikipediaResult, type WikipediaStatus } from './passage.js';
import { ResponseCache } from './response-cache.js';
import { titleWords, toSearchQuery, type SearchQuery } from './search-query.js';

/** English Wikipedia's API. */
export const DEFAULT_WIKIPEDIA_API = 'https://en.wikipedia.org/w/api.php';

/** The part of a pino logger the retriever writes to (`pino()` itself fits). */
export interface RetrievalLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Every setting of a `WikipediaRetriever`; all optional. */
export interface WikipediaRetrieverOptions {
  /** MediaWiki API endpoint. Default `https://en.wikipedia.org/w/api.php`. */
  apiUrl?: string;
  /** SQLite file of cached answers (e.g. `<dataDir>/wikipedia-cache.sqlite`). Default none: no cache. */
  cachePath?: string;
  /** How long a cached answer is served, ms. Default 24 h. */
  cacheTtlMs?: number;
  /** Time one question may take, ms, cache and all requests included. Default 1500. */
  budgetMs?: number;
  /** Passages returned when the call does not say. Default 5. */
  k?: number;
  /** Articles read per question (the best search hits, title matches first). Default 3. */
  pages?: number;
  /** Search hits considered before picking `pages`. Default 10. */
  searchLimit?: number;
  /** Longest passage, characters. Default 1500. */
  maxChars?: number;
  /** Text repeated between consecutive passages of a section, characters. Default 200. */
  overlapChars?: number;
  /** Consecutive failed or timed-out questions that open the circuit breaker. Default 5. */
  failureThreshold?: number;
  /** How long an open breaker refuses to call the wiki before one probe, ms. Default 30 000. */
  cooldownMs?: number;
  /**
   * Questions sent to the wiki at once while it has not answered yet (at start, and after a
   * failure until a question succeeds); others meanwhile end as `open-circuit`. Default 2.
   */
  probeLimit?: number;
  /** How article text is read (`auto`: TextExtracts, else wikitext). Default `auto`. */
  content?: ContentMode;
  /** User-Agent sent to the wiki (Wikimedia asks for a descriptive one). Default names Galen. */
  userAgent?: string;
  /** Where log lines go. Default nowhere. */
  logger?: RetrievalLogger;
  /** Called once per question with how it ended, for metrics. A hook that throws is ignored. */
  onOutcome?: (status: WikipediaStatus, tookMs: number) => void;
}

const SILENT: RetrievalLogger = { debug() {}, info() {}, warn() {} };

/** Passages of the articles read so far, by rank; filled in as articles arrive. */
interface Progress {
  articles: Map<number, WikipediaPassage[]>;
  failedArticles: number;
}

/**
 * Live Wikipedia (or any MediaWiki) as a retriever: question → keyword search → the best few
 * articles → their lead and sections as passages of at most `maxChars`, each with title, section,
 * URL, licence, attribution and rank.
 *
 * The wiki is a bonus, never a dependency: `retrieve` never rejects. Each question has a time
 * budget (on expiry, what is done is returned with status `timeout`), consecutive failures open a
 * circuit breaker (status `open-circuit`, no request made) that lets one probe through after a
 * cool-down, and answers are cached in SQLite with a TTL (status `cached`). Until the wiki has
 * answered (at start, after a failure) only `probeLimit` questions reach it at once, the others
 * end as `open-circuit`, so a stalled wiki cannot make a burst of questions all wait out the
 * budget. A timeout aborts the requests and closes their connections. Every question ends in one
 * log line and one `onOutcome` call.
 *
 * One instance per wiki: the breaker and the client belong to its API URL.
 *
 * @example
 * const wikipedia = new WikipediaRetriever({ cachePath: 'data/wikipedia-cache.sqlite', logger });
 * const { passages, status } = await wikipedia.retrieve('What are the symptoms of monkeypox?', { k: 3 });
 * // passages[0] → { title: 'Mpox', section: '', url: 'https://en.wikipedia.org/wiki/Mpox', … }
 */
export class WikipediaRetriever implements Retriever<WikipediaResult> {
  readonly apiUrl: string;
  private readonly client: MediaWikiClient;
  private readonly breaker: CircuitBreaker;
  private readonly cache: ResponseCache | null;
  private readonly logger: RetrievalLogger;
  private readonly settings: Required<
    Pick<WikipediaRetrieverOptions, 'budgetMs' | 'k' | 'pages' | 'searchLimit' | 'maxChars' | 'overlapChars'>
  >;
  private readonly onOutcome: WikipediaRetrieverOptions['onOutcome'];

  constructor(options: WikipediaRetrieverOptions = {}) {
    this.apiUrl = options.apiUrl ?? DEFAULT_WIKIPEDIA_API;
    const clientOptions: { content?: ContentMode; userAgent?: string } = {};
    if (options.content) clientOptions.content = options.content;
    if (options.userAgent) clientOptions.userAgent = options.userAgent;
    this.client = new MediaWikiClient(this.apiUrl, clientOptions);
    this.breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold ?? 5,
      cooldownMs: options.cooldownMs ?? 30_000,
      probeLimit: options.probeLimit ?? 2,
    });
    this.cache = options.cachePath ? new ResponseCache(options.cachePath, { ttlMs: options.cacheTtlMs ?? 24 * 60 * 60 * 1000 }) : null;
    this.logger = options.logger ?? SILENT;
    this.onOutcome = options.onOutcome;
    this.settings = {
      budgetMs: Math.max(1, options.budgetMs ?? 1500),
      k: Math.max(1, options.k ?? 5),
      pages: Math.max(1, options.pages ?? 3),
      searchLimit: Math.max(1, options.searchLimit ?? 10),
      maxChars: Math.max(200, options.maxChars ?? 1500),
      overlapChars: Math.max(0, options.overlapChars ?? 200),
    };
  }

  /** The breaker's state, for health endpoints. */
  get circuitState(): 'closed' | 'open' | 'half-open' {
    return this.breaker.state;
  }

  /**
   * Passages for `question`, best first, at most `k`. `question` is sent to the wiki (as keywords):
   * callers with patient text pass only what may leave the machine, as the retrieval pipeline does
   * with `wikipediaSearchQuery`. Log lines never carry it. Never rejects: trouble with the wiki shows
   * as `status` and an empty (or, on timeout, partial) list. An aborted `signal` ends the call at
   * once with what is done, as status `timeout`, without counting against the wiki.
   *
   * @example
   * await wikipedia.retrieve('What causes gout?', { k: 5, signal: request.signal })
   * // → { passages: [...], status: 'ok', tookMs: 412 }
   */
  async retrieve(question: string, options: RetrieveOptions = {}): Promise<WikipediaResult> {
    const started = performance.now();
    const k = Math.max(1, Math.floor(options.k ?? this.settings.k));
    const query = toSearchQuery(typeof question === 'string' ? question : '');
    const finish = (status: WikipediaStatus, passages: WikipediaPassage[], detail: object = {}): WikipediaResult => {
      const tookMs = Math.round(performance.now() - started);
      const line = {
        retriever: 'wikipedia',
        apiUrl: this.apiUrl,
        // How many words were searched, never which: the words came from a question.
        keywords: query.keywords.length,
        status,
        tookMs,
        passages: Math.min(k, passages.length),
        ...detail,
      };
      if (status === 'ok' || status === 'cached') this.logger.debug(line, 'wikipedia retrieval');
      else this.logger.warn(line, `wikipedia retrieval: ${status}`);
      try {
        this.onOutcome?.(status, tookMs);
      } catch {
        // A metrics hook must not cost the answer.
      }
      return { passages: passages.slice(0, k), status, tookMs };
    };

    // Nothing searchable (empty, emoji, punctuation): the wiki has nothing to say either.
    if (!query.text) return finish('ok', []);
    const key = `${this.apiUrl}\n${query.text}`;
    const cached = this.readCache(key);
    if (cached) return finish('cached', cached);
    if (options.signal?.aborted) return finish('timeout', [], { reason: 'aborted by caller' });

    const circuit = this.breaker.state;
    const permit = this.breaker.tryAcquire();
    // A closed circuit refuses only while the wiki has yet to answer and probes are in flight.
    if (!permit) return finish('open-circuit', [], circuit === 'closed' ? { reason: 'waiting for probes' } : {});

    const controller = new AbortController();
    const budget = setTimeout(
      () => controller.abort(new WikipediaError('TIMEOUT', `no answer within ${this.settings.budgetMs} ms`)),
      this.settings.budgetMs,
    );
    const onCallerAbort = (): void => controller.abort(options.signal?.reason ?? new Error('aborted by caller'));
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const aborted = new Promise<'aborted'>((resolve) =>
      controller.signal.addEventListener('abort', () => resolve('aborted'), { once: true }),
    );

    const progress: Progress = { articles: new Map(), failedArticles: 0 };
    const work = this.collect(query, controller.signal, progress);
    // On a timeout the abort ends every request at once; the work's late failure must not
    // surface as an unhandled rejection.
    work.catch(() => {});
    try {
      const outcome = await Promise.race([work, aborted]);
      if (outcome === 'aborted') {
        const byCaller = !(controller.signal.reason instanceof WikipediaError);
        if (byCaller) permit.release();
        else this.fail(permit);
        return finish('timeout', ordered(progress, query), byCaller ? { reason: 'aborted by caller' } : {});
      }
      if (outcome.found > 0 && progress.failedArticles === outcome.found) {
        // Search worked but every article failed: the wiki is in trouble.
        this.fail(permit);
        return finish('error', [], { code: outcome.error?.code, err: withoutQueryStrings(outcome.error?.message) });
      }
      permit.success();
      const passages = ordered(progress, query);
      if (progress.failedArticles === 0) this.writeCache(key, passages);
      return finish('ok', passages, progress.failedArticles ? { failedArticles: progress.failedArticles } : {});
    } catch (error) {
      const failure = toWikipediaError(error);
      this.fail(permit);
      return finish('error', [], { code: failure.code, err: withoutQueryStrings(failure.message) });
    } finally {
      clearTimeout(budget);
      options.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** Closes the cache file. The retriever must not be used afterwards. */
  close(): void {
    this.cache?.close();
  }

  /** Search, then read the chosen articles in parallel into `progress`. */
  private async collect(query: SearchQuery, signal: AbortSignal, progress: Progress): Promise<{ found: number; error?: WikipediaError }> {
    const hits = await this.search(query, signal);
    const chosen = hits.slice(0, this.settings.pages);
    let lastError: WikipediaError | undefined;
    await Promise.all(
      chosen.map(async (hit, index) => {
        try {
          if (signal.aborted) return;
          const article = await this.client.article(hit.pageId, signal);
          if (article && !signal.aborted) progress.articles.set(index + 1, this.toPassages(article, index + 1));
        } catch (error) {
          lastError = toWikipediaError(error);
          progress.failedArticles++;
          this.logger.debug(
            {
              retriever: 'wikipedia',
              apiUrl: this.apiUrl,
              pageId: hit.pageId,
              code: lastError.code,
              err: withoutQueryStrings(lastError.message),
            },
            'wikipedia article failed',
          );
        }
      }),
    );
    return lastError ? { found: chosen.length, error: lastError } : { found: chosen.length };
  }

  /**
   * The articles to read, best first. Two requests in parallel: a full-text search for all
   * keywords, and a lookup of keyword phrases as titles ("monkeypox", "type 2 diabetes"; redirects
   * followed). An article named by the question is the strongest signal there is, and the
   * database search backends (SQLite, MySQL) do not rank at all. Titles found come first (longer
   * phrases first), then search hits whose title is made of keywords, then the wiki's order. When
   * that is still fewer than `pages`, the longest keywords are searched one by one (the database
   * backends AND every term) and pages found by more of them come first.
   */
  private async search(query: SearchQuery, signal: AbortSignal): Promise<SearchHit[]> {
    const wanted = this.settings.pages;
    const phrases = keywordPhrases(query.keywords);
    const [textHits, titleHits] = await Promise.all([
      this.client.search(query.text, this.settings.searchLimit, signal),
      // A failed title lookup loses a hint, not the search.
      this.client.existingTitles(phrases, signal).catch(() => []),
    ]);
    const keywordSet = new Set(query.keywords);
    let hits = textHits;
    if (textHits.length + titleHits.length < wanted && query.keywords.length > 1 && !signal.aborted) {
      const keywords = [...query.keywords].sort((a, b) => b.length - a.length).slice(0, 4);
      const lists = await Promise.all(keywords.map((word) => this.client.search(word, 50, signal).catch(() => [] as SearchHit[])));
      const votes = new Map<number, { hit: SearchHit; lists: number; best: number }>();
      for (const [index, hit] of textHits.entries()) votes.set(hit.pageId, { hit, lists: keywords.length + 1, best: index });
      for (const list of lists) {
        for (const [index, hit] of list.entries()) {
          const vote = votes.get(hit.pageId);
          if (vote) {
            vote.lists++;
            vote.best = Math.min(vote.best, index);
          } else votes.set(hit.pageId, { hit, lists: 1, best: index });
        }
      }
      hits = [...votes.values()]
        .filter((vote) => vote.lists > 1 || titleMatch(vote.hit.title, keywordSet) > 0)
        .sort((a, b) => b.lists - a.lists || titleMatch(b.hit.title, keywordSet) - titleMatch(a.hit.title, keywordSet) || a.best - b.best)
        .map((vote) => vote.hit)
        .slice(0, this.settings.searchLimit);
    }
    const named = [...titleHits].sort((a, b) => phraseLength(phrases[b.from]) - phraseLength(phrases[a.from]) || a.from - b.from);
    const seen = new Set(named.map((hit) => hit.pageId));
    return [
      ...named.map(({ title, pageId }) => ({ title, pageId })),
      ...preferTitleMatches(
        hits.filter((hit) => !seen.has(hit.pageId)),
        keywordSet,
      ),
    ];
  }

  private toPassages(article: Article, rank: number): WikipediaPassage[] {
    const sections = splitArticle(article.text);
    const chunks = chunkDocument(
      { externalId: String(article.pageId), title: article.title, sections: sections.map((s) => ({ heading: s.heading, text: s.text })) },
      { maxChars: this.settings.maxChars, overlapChars: this.settings.overlapChars },
    );
    return chunks.map((chunk) => ({
      title: article.title,
      section: chunk.heading,
      url: chunk.heading ? `${article.url}#${sectionAnchor(chunk.heading)}` : article.url,
      text: chunk.text,
      license: WIKIPEDIA_LICENSE,
      attribution: WIKIPEDIA_ATTRIBUTION,
      rank,
      pageId: article.pageId,
    }));
  }

  private fail(permit: { failure(): void }): void {
    const before = this.breaker.state;
    permit.failure();
    if (before !== 'open' && this.breaker.state === 'open') {
      this.logger.warn(
        { retriever: 'wikipedia', apiUrl: this.apiUrl, consecutiveFailures: this.breaker.consecutiveFailures },
        'wikipedia circuit opened',
      );
    }
  }

  private readCache(key: string): WikipediaPassage[] | undefined {
    if (!this.cache) return undefined;
    try {
      return this.cache.get<WikipediaPassage[]>(key);
    } catch (error) {
      this.logger.warn({ retriever: 'wikipedia', err: String(error) }, 'wikipedia cache read failed');
      return undefined;
    }
  }

  private writeCache(key: string, passages: WikipediaPassage[]): void {
    if (!this.cache) return;
    try {
      this.cache.set(key, passages);
    } catch (error) {
      this.logger.warn({ retriever: 'wikipedia', err: String(error) }, 'wikipedia cache write failed');
    }
  }
}

/**
 * An error message without the query strings of the URLs it quotes: fetch errors name the whole
 * request URL, search words included, and log lines must not carry them.
 */
function withoutQueryStrings(message: string | undefined): string | undefined {
  return message?.replace(/(https?:\/\/[^\s?#]*)[?#][^\s]*/gi, '$1?…');
}

/** Runs of 1–3 consecutive keywords, as candidate titles (at most 50, the API's limit). */
function keywordPhrases(keywords: string[]): string[] {
  const phrases: string[] = [];
  for (let n = 3; n >= 1; n--) {
    for (let i = 0; i + n <= keywords.length; i++) phrases.push(keywords.slice(i, i + n).join(' '));
  }
  return phrases.slice(0, 50);
}

function phraseLength(phrase: string | undefined): number {
  return phrase ? phrase.split(' ').length : 0;
}

/** Share of a title's words that are query keywords ("Monkeypox" for a monkeypox question: 1). */
function titleMatch(title: string, keywords: Set<string>): number {
  const words = titleWords(title);
  return words.length ? words.filter((w) => keywords.has(w)).length / words.length : 0;
}

/** Hits whose whole title is made of query keywords first, then partial title matches; otherwise the wiki's order. */
function preferTitleMatches(hits: SearchHit[], keywords: Set<string>): SearchHit[] {
  const tier = (hit: SearchHit): number => {
    const match = titleMatch(hit.title, keywords);
    return match >= 1 ? 0 : match > 0 ? 1 : 2;
  };
  return hits
    .map((hit, index) => ({ hit, index, tier: tier(hit) }))
    .sort((a, b) => a.tier - b.tier || a.index - b.index)
    .map((x) => x.hit);
}

/**
 * All passages read so far, best first: each article's lead opening and the sections whose heading
 * names a keyword ("Signs and symptoms" for a symptoms question), by article rank; then the rest,
 * by article rank and position. So `k` passages cover several articles' most relevant parts.
 */
function ordered(progress: Progress, query: SearchQuery): WikipediaPassage[] {
  const keywords = new Set(query.keywords);
  const scored: { passage: WikipediaPassage; tier: number; position: number }[] = [];
  for (const [, passages] of [...progress.articles.entries()].sort((a, b) => a[0] - b[0])) {
    passages.forEach((passage, position) => {
      const relevantHeading = titleWords(passage.section).some(
        (w) => keywords.has(w) || keywords.has(`${w}s`) || keywords.has(w.replace(/s$/, '')),
      );
      scored.push({ passage, tier: position === 0 || relevantHeading ? 0 : 1, position });
    });
  }
  return scored.sort((a, b) => a.tier - b.tier || a.passage.rank - b.passage.rank || a.position - b.position).map((x) => x.passage);
}
