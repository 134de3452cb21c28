import type { Database } from 'better-sqlite3';

/**
 * Terms in at least this many chunks are recorded in `term_stats`; search treats the others as
 * cheap (their posting lists are short), so they need no record.
 */
export const TERM_STATS_MIN_DF = 50;

/**
 * Recomputes `term_stats` from the FTS5 vocabulary. fts5vocab counts documents by walking posting
 * lists (milliseconds per common term), too slow per query; once per write it is cheap
 * (about 150 ms for 50,000 chunks). Call inside the writing transaction.
 */
export function refreshTermStats(db: Database): void {
  db.exec('DELETE FROM term_stats');
  db.prepare('INSERT INTO term_stats (term, doc) SELECT term, doc FROM chunks_fts_vocab WHERE doc >= ?').run(TERM_STATS_MIN_DF);
}
