import Database from 'better-sqlite3';
import { createPrivateFile } from '../../knowledge/index.js';

/** How long answers are kept. */
export interface ResponseCacheOptions {
  /** Time to live of an entry, ms. Default 24 h. */
  ttlMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * A SQLite file of JSON values by string key with a time to live: the retriever's memory of
 * what a wiki answered, so a repeated question costs no request and survives restarts. WAL mode,
 * so readers in other processes are not blocked by a write. Expired rows are ignored on read and
 * deleted now and then on write.
 *
 * @example
 * const cache = new ResponseCache('data/wikipedia-cache.sqlite');
 * cache.set('k', { passages: [] });
 * cache.get('k'); // → { passages: [] }
 */
export class ResponseCache {
  private readonly db: Database.Database;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly selectRow: Database.Statement<[string, number], { value: string }>;
  private readonly upsertRow: Database.Statement<[string, string, number, number]>;
  private readonly deleteExpired: Database.Statement<[number]>;
  private writes = 0;

  constructor(path: string, options: ResponseCacheOptions = {}) {
    this.ttlMs = Math.max(0, options.ttlMs ?? 24 * 60 * 60 * 1000);
    this.now = options.now ?? Date.now;
    // Owner-only before SQLite creates it 0644: the cached answers say what was asked.
    if (path !== ':memory:') createPrivateFile(path);
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Another process writing the same file: wait a little rather than fail.
    this.db.pragma('busy_timeout = 200');
    this.db.exec(`CREATE TABLE IF NOT EXISTS response_cache (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.selectRow = this.db.prepare('SELECT value FROM response_cache WHERE key = ? AND expires_at > ?');
    this.upsertRow = this.db.prepare(
      'INSERT INTO response_cache (key, value, created_at, expires_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at, expires_at = excluded.expires_at',
    );
    this.deleteExpired = this.db.prepare('DELETE FROM response_cache WHERE expires_at <= ?');
  }

  /** The live value stored under `key`, or `undefined`. */
  get<T>(key: string): T | undefined {
    const row = this.selectRow.get(key, this.now());
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(key: string, value: unknown): void {
    const now = this.now();
    this.upsertRow.run(key, JSON.stringify(value), now, now + this.ttlMs);
    // Prune every 100 writes: enough to bound the file, cheap enough to do inline.
    if (++this.writes % 100 === 0) this.deleteExpired.run(now);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
