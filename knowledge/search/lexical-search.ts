import type { Statement } from 'better-sqlite3';
import type { Chunk } from '../document.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
import { cjkTrigrams, extractTerms, porterStem, quoteTerm } from './fts-query.js';
import { makeSnippet } from './snippet.js';
import { TERM_STATS_MIN_DF } from '../store/term-stats.js';

/** Options of {@link LexicalSearch.search}. */
export interface LexicalSearchOptions {
  /** Number of hits. Default 10, at most 1,000. */
  k?: number;
  /** Only chunks of these sources. Default: all. */
  sources?: readonly string[];
  /** Markers around matched terms in `snippet`. Default `['**', '**']` (Markdown bold). */
  highlight?: readonly [string, string];
  /** Build each hit's `snippet`; `false` leaves it empty (callers that rank candidates save the work). Default true. */
  snippets?: boolean;
  /**
   * Subjects (a document's title or focus, any case) and section kinds (MedQuAD's `qtype` in the
   * section metadata): when none of those sections of those documents is among the `k` best, their
   * matching chunks are returned after them, best first, at most {@link MAX_TITLED}. What a
   * ranker needs when a short question's one rare term is shared by hundreds of documents ("What
   * causes anemia?": the Anemia document's causes section ranks below the 100th). Default none.
   */
  titled?: { names: readonly string[]; qtypes: readonly string[] };
}

/** A ranked chunk. `score` is higher for better matches (negated BM25 for Latin text). */
export interface LexicalHit extends Chunk {
  score: number;
  snippet: string;
}

export interface LexicalResult {
  hits: LexicalHit[];
  /** The terms actually searched, after stopwords and very common terms were dropped. */
  terms: string[];
}

/**
 * Query terms are taken rarest first while their posting lists (document frequencies) add up to at
 * most this many entries; the rarest term is always kept. FTS5 walks every posting of an OR query
 * (about 1 µs each), so the budget bounds latency, and the terms it drops are the most common ones,
 * whose BM25 weight is lowest. Measured on the PubMedQA dev questions over the shared corpus
 * (53,000 chunks): no budget p50 13.5 ms / p99 37.6 ms, recall@10 0.992, MRR 0.978; 8,000 postings
 * p50 4.0 ms / p99 8.0 ms, recall@10 0.992, MRR 0.970; 4,000 postings p50 3.2 ms / p99 5.0 ms, MRR 0.963.
 */
const POSTINGS_BUDGET = 6000;
/** Field weights of BM25: title, focus (subject and synonyms), question, section heading, body. */
const BM25 = 'bm25(chunks_fts, 4.0, 3.0, 4.0, 2.0, 1.0)';
/** The rarest terms kept per query; long pasted texts would otherwise OR hundreds of lists. */
const MAX_QUERY_TERMS = 24;
const MAX_K = 1000;
/** Most chunks {@link LexicalSearchOptions.titled} adds below the `k` best. */
export const MAX_TITLED = 48;

/**
 * BM25 search over the store's chunks: Porter-stemmed, field-weighted FTS5 for alphabetic text,
 * trigrams for Chinese/Japanese/Korean, and a scan of CJK chunks for 1–2 character queries.
 * Any string is a valid query; it never raises an FTS5 syntax error.
 *
 * @example
 * const search = new LexicalSearch(store);
 * const { hits } = search.search('what causes polycystic ovary syndrome', { k: 5 });
 */
export class LexicalSearch {
  private readonly termStats: Statement;
  private readonly generation: Statement;
  private stats = { generation: '', df: new Map<string, number>() };
  private titles = { generation: '', chunks: new Map<string, Array<{ id: number; qtype: string }>>() };
  private readonly titledRows: Statement;
  private readonly cjkSnippetStmt: Statement;

  constructor(private readonly store: KnowledgeStore) {
    const db = store.db;
    this.termStats = db.prepare('SELECT term, doc FROM term_stats');
    this.generation = db.prepare("SELECT total_changes() || ':' || (SELECT data_version FROM pragma_data_version)").pluck();
    this.titledRows = db
      .prepare(
        `SELECT c.id, lower(d.title), lower(d.focus), coalesce(json_extract(x.metadata, '$.qtype'), '') FROM chunks c
         JOIN documents d ON d.id = c.document_id JOIN sections x ON x.id = c.section_id ORDER BY c.id`,
      )
      .raw(true);
    // Row ids go through json_each: better-sqlite3 binds JS numbers as REAL, which FTS5's rowid lookup mishandles.
    this.cjkSnippetStmt = db.prepare(
      "SELECT rowid AS id, snippet(chunks_cjk, 2, ?, ?, '…', 48) AS s FROM chunks_cjk WHERE chunks_cjk MATCH ? AND rowid IN (SELECT value FROM json_each(?))",
    );
  }

  search(query: string, options: LexicalSearchOptions = {}): LexicalResult {
    const k = Math.min(MAX_K, Math.max(1, Math.floor(options.k ?? 10)));
    const [open, close] = options.highlight ?? ['**', '**'];
    const { words, cjkRuns, contentWords } = extractTerms(query);
    const sourceFilter = options.sources?.length ? JSON.stringify(options.sources) : null;
    const ranked: Array<{ id: number; score: number }> = [];
    const snippets = new Map<number, string>();
    const wantSnippets = options.snippets ?? true;
    const addSnippets = (stmt: Statement, match: string, ids: number[]) => {
      if (!ids.length || !wantSnippets) return;
      for (const r of stmt.all(open, close, match, JSON.stringify(ids)) as Array<{ id: number; s: string }>) snippets.set(r.id, r.s);
    };
    const used: string[] = [];

    if (cjkRuns.length) {
      const trigrams = cjkTrigrams(cjkRuns);
      if (trigrams.length) {
        const match = trigrams.map(quoteTerm).join(' OR ');
        used.push(...trigrams);
        const found = this.rank('chunks_cjk', 'bm25(chunks_cjk, 4.0, 4.0, 1.0)', match, sourceFilter, k);
        ranked.push(...found);
        addSnippets(
          this.cjkSnippetStmt,
          match,
          found.map((r) => r.id),
        );
      } else {
        const needle = cjkRuns.join('');
        used.push(needle);
        ranked.push(...this.scanCjk(needle, sourceFilter, k));
      }
    }

    const terms = this.selectTerms(words, contentWords);
    if (terms.length && ranked.length < k) {
      const match = terms.map(quoteTerm).join(' OR ');
      used.push(...terms);
      const seen = new Set(ranked.map((r) => r.id));
      const found = this.rank('chunks_fts', BM25, match, sourceFilter, k).filter((r) => !seen.has(r.id));
      ranked.push(...found.slice(0, k - ranked.length));
      if (options.titled?.names.length && options.titled.qtypes.length)
        ranked.push(...this.titledBelow(options.titled, match, sourceFilter, new Set(ranked.map((r) => r.id))));
    }

    const top = ranked.length > k && options.titled ? ranked : ranked.slice(0, k);
    const stems = new Set(terms.map(porterStem));
    const chunks = new Map(this.store.getChunks(top.map((r) => r.id)).map((c) => [c.chunkId, c]));
    const hits = top.flatMap((r) => {
      const chunk = chunks.get(r.id);
      if (!chunk) return [];
      if (!wantSnippets) return [{ ...chunk, score: r.score, snippet: '' }];
      return [
        {
          ...chunk,
          score: r.score,
          snippet:
            snippets.get(r.id) ||
            (stems.size ? makeSnippet(chunk.text, stems, [open, close]) : excerpt(chunk.text, cjkRuns.join(''), open, close)),
        },
      ];
    });
    return { hits, terms: used };
  }

  /**
   * Keeps words rarest first within {@link POSTINGS_BUDGET}. A query of stopwords alone is searched
   * only when it fits the budget: "what is the" matches everything and means nothing.
   */
  private selectTerms(words: string[], contentWords: boolean): string[] {
    const { df } = this.currentStats();
    // Words missing from term_stats are in fewer than TERM_STATS_MIN_DF chunks (or none).
    const ranked = words
      .map((w, i) => ({ w, i, df: df.get(porterStem(w)) ?? TERM_STATS_MIN_DF / 2 }))
      .sort((a, b) => a.df - b.df || a.i - b.i);
    const kept: string[] = [];
    let postings = 0;
    for (const t of ranked) {
      if (kept.length >= MAX_QUERY_TERMS || postings + t.df > POSTINGS_BUDGET) {
        if (kept.length || !contentWords) break;
      }
      kept.push(t.w);
      postings += t.df;
    }
    return kept;
  }

  /** Reads the term statistics and the subjects' chunk lists now, so the first search does not wait for them. */
  warm(): void {
    this.currentStats();
    this.currentTitles();
  }

  /** The chunks of `titled`'s sections that match `match`, best first, when none of them is in `seen`. */
  private titledBelow(
    titled: NonNullable<LexicalSearchOptions['titled']>,
    match: string,
    sources: string | null,
    seen: ReadonlySet<number>,
  ) {
    const { chunks } = this.currentTitles();
    const qtypes = new Set(titled.qtypes);
    const sections = [
      ...new Set(titled.names.flatMap((n) => (chunks.get(n.toLowerCase()) ?? []).flatMap((c) => (qtypes.has(c.qtype) ? [c.id] : [])))),
    ];
    // Only when none of them made the candidates: otherwise the ranker has the subject's section to choose.
    if (!sections.length || sections.some((id) => seen.has(id))) return [];
    return this.rank('chunks_fts', BM25, match, sources, MAX_TITLED, sections);
  }

  /** Chunk ids by lower-cased document title and focus, rebuilt only after the store changed. */
  private currentTitles() {
    const generation = this.generation.get() as string;
    if (generation !== this.titles.generation) {
      const chunks = new Map<string, Array<{ id: number; qtype: string }>>();
      const add = (name: string, chunk: { id: number; qtype: string }) => {
        if (!name) return;
        const list = chunks.get(name);
        if (list) list.push(chunk);
        else chunks.set(name, [chunk]);
      };
      for (const [id, title, focus, qtype] of this.titledRows.iterate() as IterableIterator<[number, string, string, string]>) {
        if (!qtype) continue;
        add(title, { id, qtype });
        if (focus !== title) add(focus, { id, qtype });
      }
      this.titles = { generation, chunks };
    }
    return this.titles;
  }

  /** Frequencies of the frequent terms, reloaded only after the store changed. */
  private currentStats() {
    const generation = this.generation.get() as string;
    if (generation !== this.stats.generation) {
      const df = new Map<string, number>();
      for (const r of this.termStats.all() as Array<{ term: string; doc: number }>) df.set(r.term, r.doc);
      this.stats = { generation, df };
    }
    return this.stats;
  }

  /** The `k` best matches, of the chunks `ids` only when given (FTS5 then looks each one up instead of walking the postings). */
  private rank(
    table: 'chunks_fts' | 'chunks_cjk',
    scoreExpr: string,
    match: string,
    sources: string | null,
    k: number,
    ids?: readonly number[],
  ) {
    const cacheKey = `${table}|${scoreExpr}|${sources === null ? 'all' : 'some'}|${ids ? 'ids' : 'any'}`;
    let stmt = this.rankStatements.get(cacheKey);
    if (!stmt) {
      const filter =
        sources === null
          ? ''
          : `AND f.rowid IN (SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id JOIN sources s ON s.id = d.source_id
             WHERE s.name IN (SELECT value FROM json_each(@sources)))`;
      // Row ids go through json_each, as above.
      const only = ids ? 'AND f.rowid IN (SELECT value FROM json_each(@ids))' : '';
      stmt = this.store.db.prepare(
        `SELECT f.rowid AS id, ${scoreExpr} AS score FROM ${table} f
         WHERE ${table} MATCH @match ${only} ${filter} ORDER BY score LIMIT @k`,
      );
      this.rankStatements.set(cacheKey, stmt);
    }
    const params: Record<string, unknown> = { match, k };
    if (sources !== null) params.sources = sources;
    if (ids) params.ids = JSON.stringify(ids);
    return (stmt.all(params) as Array<{ id: number; score: number }>).map((r) => ({ id: r.id, score: -r.score }));
  }

  private readonly rankStatements = new Map<string, Statement>();

  /** 1–2 CJK characters cannot use trigrams: scan CJK chunks, scoring by occurrences and title hits. */
  private scanCjk(needle: string, sources: string | null, k: number) {
    const rows = this.store.db
      .prepare(
        `SELECT c.id, c.title, c.question, c.text FROM chunks c INDEXED BY chunks_cjk_rows
         JOIN documents d ON d.id = c.document_id JOIN sources s ON s.id = d.source_id
         WHERE c.is_cjk = 1 AND (instr(c.text, @n) > 0 OR instr(c.title, @n) > 0 OR instr(c.question, @n) > 0)
           AND (@sources IS NULL OR s.name IN (SELECT value FROM json_each(@sources)))
         LIMIT 5000`,
      )
      .all({ n: needle, sources }) as Array<{ id: number; title: string; question: string; text: string }>;
    const count = (s: string) => s.split(needle).length - 1;
    return rows
      .map((r) => ({
        id: r.id,
        score: (4 * count(r.title) + 4 * count(r.question) + count(r.text)) / Math.log2(2 + r.text.length / 100),
      }))
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, k);
  }
}

/** A window of text around `needle` (or the start), with `needle` marked. */
function excerpt(text: string, needle: string, open: string, close: string): string {
  const at = needle ? text.indexOf(needle) : -1;
  const start = Math.max(0, at - 60);
  const window = text.slice(start, start + 200);
  const marked = needle ? window.split(needle).join(`${open}${needle}${close}`) : window;
  return `${start > 0 ? '…' : ''}${marked}${start + 200 < text.length ? '…' : ''}`;
}
