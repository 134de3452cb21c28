import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { existsSync } from 'node:fs';

/** One check of a store file and what it found. */
export interface StoreCheckResult {
  /** `open`, `quick_check`, `integrity_check`, or `fts:<table>`. */
  name: string;
  ok: boolean;
  /** What SQLite reported (at most 20 lines); `['ok']` when all is well. */
  detail: string[];
}

/** What {@link checkStoreFile} found. */
export interface StoreCheckReport {
  file: string;
  ok: boolean;
  checks: StoreCheckResult[];
}

/**
 * The full-text indexes of the store and whether they hold every row of their content table:
 * only those can be compared with it (`chunks_cjk` indexes the CJK chunks alone).
 */
const FTS_TABLES = [
  { table: 'chunks_fts', complete: true },
  { table: 'chunks_cjk', complete: false },
] as const;

/**
 * Checks a store file without changing its content (opening it may checkpoint a WAL that an
 * unclean stop left, as any open does): that SQLite can open it and read its schema,
 * `PRAGMA quick_check`, `PRAGMA integrity_check`, and FTS5's `integrity-check` of each full-text
 * index (`chunks_fts` also against the chunks table), run in a transaction that is rolled back. Never throws for a
 * damaged file: each failure is a check that is not ok.
 *
 * @example
 * const report = checkStoreFile('data/galen.sqlite');
 * if (!report.ok) console.log(report.checks.filter((c) => !c.ok));
 */
export function checkStoreFile(file: string): StoreCheckReport {
  const checks: StoreCheckResult[] = [];
  const finish = (): StoreCheckReport => ({ file, ok: checks.every((c) => c.ok), checks });
  if (!existsSync(file)) {
    checks.push({ name: 'open', ok: false, detail: ['the file does not exist'] });
    return finish();
  }
  let db: Database;
  try {
    // Not read-only: FTS5's integrity-check is an INSERT (rolled back below), and a read-only
    // connection could not replay the WAL an unclean stop left.
    db = new BetterSqlite3(file, { fileMustExist: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    checks.push({ name: 'open', ok: true, detail: ['ok'] });
  } catch (error) {
    checks.push({ name: 'open', ok: false, detail: [message(error)] });
    return finish();
  }
  try {
    checks.push(pragmaCheck(db, 'quick_check'));
    checks.push(pragmaCheck(db, 'integrity_check'));
    for (const { table, complete } of FTS_TABLES) checks.push(ftsCheck(db, table, complete));
  } finally {
    db.close();
  }
  return finish();
}

function pragmaCheck(db: Database, pragma: 'quick_check' | 'integrity_check'): StoreCheckResult {
  try {
    const lines = (db.pragma(`${pragma}(20)`) as Record<string, string>[]).map((row) => String(Object.values(row)[0]));
    return { name: pragma, ok: lines.length === 1 && lines[0] === 'ok', detail: lines };
  } catch (error) {
    return { name: pragma, ok: false, detail: [message(error)] };
  }
}

function ftsCheck(db: Database, table: string, complete: boolean): StoreCheckResult {
  const name = `fts:${table}`;
  try {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
    if (!exists) return { name, ok: false, detail: [`the full-text index ${table} is missing`] };
    db.exec('BEGIN');
    try {
      // rank = 1 also compares the index with its external content table.
      db.prepare(`INSERT INTO ${table}(${table}, rank) VALUES ('integrity-check', ?)`).run(complete ? 1 : 0);
    } finally {
      // SQLite may have rolled back already (it does on some errors).
      if (db.inTransaction) db.exec('ROLLBACK');
    }
    return { name, ok: true, detail: ['ok'] };
  } catch (error) {
    return { name, ok: false, detail: [message(error)] };
  }
}

function message(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const text = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && code.startsWith('SQLITE_') ? `${text} (${code})` : text;
}
