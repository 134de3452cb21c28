import type { Database } from 'better-sqlite3';

/**
 * Terms in at least this many chunks are recorded in `term_stats`; search treats the others as
 * cheap (their posting lists are short), so they need no record.
 */
export const TERM_STATS_MIN_DF = 50;

/** The statistics are recomputed once the chunk count has drifted this much since the last time. */
const REFRESH_DRIFT = 0.05;

/**
 * Recomputes `term_stats` from the FTS5 vocabulary when the number of chunks has changed by more
 * than 5% since the last recomputation (or `force`). fts5vocab counts documents by walking posting
 * lists, too slow per query; a full scan takes about 0.15 s for 50,000 chunks but 2–11 s for
 * 1,000,000, so small writes to a big store reuse slightly stale counts, which only steer the
 * query-term budget. Call inside the writing transaction.
 */
export function refreshTermStats(db: Database, options: { force?: boolean } = {}): void {
  const chunks = db.prepare('SELECT COUNT(*) FROM chunks').pluck().get() as number;
  const last = Number(db.prepare("SELECT value FROM store_meta WHERE key = 'term_stats_chunks'").pluck().get() ?? -1);
  if (!options.force && last >= 0 && Math.abs(chunks - last) <= REFRESH_DRIFT * Math.max(last, 1)) return;
  db.exec('DELETE FROM term_stats');
  db.prepare('INSERT INTO term_stats (term, doc) SELECT term, doc FROM chunks_fts_vocab WHERE doc >= ?').run(TERM_STATS_MIN_DF);
  db.prepare(
    "INSERT INTO store_meta (key, value) VALUES ('term_stats_chunks', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  ).run(String(chunks));
}
