import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { KnowledgeError } from '../errors.js';
import { openDatabase } from './database.js';
import { checkStoreFile } from './store-check.js';
import { refreshTermStats } from './term-stats.js';

/** How many rows of one table were copied into the new store. */
export interface TableRecovery {
  table: string;
  /** Rows read from the damaged file and written to the new store. */
  recovered: number;
  /** Rows read but left out: their parent row was lost (e.g. a chunk of a lost document) or a duplicate. */
  dropped: number;
  /** Places where reading stopped on damage and resumed further on (0: the table read cleanly). */
  damagedRegions: number;
  /** The table could not be read at all. */
  unreadable: boolean;
}

/** What {@link recoverStoreFile} did. */
export interface StoreRecoveryReport {
  /** The store file, now the recovered one. */
  file: string;
  /** Where the damaged file was kept. */
  damagedCopy: string;
  tables: TableRecovery[];
  /** The recovered sources and the paths they were ingested from, for `galen refresh`. */
  sources: { name: string; paths: string[] }[];
  /**
   * Recovered documents marked changed, so that `galen refresh` reads them again (all of them
   * when sections or chunks were lost; their sources' other documents are re-added anyway).
   */
  markedForRefresh: number;
}

/** Tables not copied: the migration history (the new store has its own) and derived statistics. */
const NOT_COPIED = new Set(['schema_migrations', 'term_stats']);

/**
 * Rebuilds a damaged store file from what SQLite can still read of it: a fresh store is made
 * beside it (`<file>.recovering-<timestamp>`, current schema), every table is copied row by row
 * (reading past damaged pages by seeking to later row ids), rows whose parent was lost are left
 * out, the full-text indexes are rebuilt by the insert triggers and term statistics recomputed;
 * when sections or chunks were lost, documents are marked for `galen refresh` to read again.
 * The new file must pass {@link checkStoreFile}; only then is the damaged file (with its `-wal`
 * and `-shm`) renamed to `<file>.corrupt-<timestamp>` and the new one put in its place. Nothing is
 * deleted: on failure the damaged file stays where it was. No process may have the store open.
 *
 * The damaged file is opened read-only with `writable_schema` on, so that SQLite reads a file
 * shorter than its header says (a truncated copy) instead of refusing it.
 *
 * @example
 * const report = recoverStoreFile('data/galen.sqlite');
 * report.tables.find((t) => t.table === 'chunks')?.recovered // → 4120
 */
export function recoverStoreFile(file: string, options: { now?: () => Date } = {}): StoreRecoveryReport {
  if (!existsSync(file)) throw new KnowledgeError('STORE_OPEN_FAILED', `There is no store file ${file} to recover.`);
  const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-');
  const damagedCopy = `${file}.corrupt-${stamp}`;
  const target = `${file}.recovering-${stamp}`;
  let source: Database;
  try {
    source = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    // writable_schema is refused in better-sqlite3's default defensive mode; nothing is written.
    source.unsafeMode(true);
    source.pragma('writable_schema = ON');
  } catch (error) {
    throw new KnowledgeError('STORE_OPEN_FAILED', `Cannot read ${file} at all: ${(error as Error).message}`, { cause: error });
  }
  let tables: TableRecovery[];
  let sources: StoreRecoveryReport['sources'];
  let markedForRefresh = 0;
  try {
    const fresh = openDatabase(target);
    try {
      tables = copyTables(source, fresh);
      if (tables.every((t) => t.unreadable || (t.recovered === 0 && t.dropped === 0)) && tables.some((t) => t.unreadable)) {
        throw new KnowledgeError('STORE_CORRUPT', `Nothing could be read from ${file}; it is left as it is.`);
      }
      const bodiesDamaged = tables.some((t) => (t.table === 'sections' || t.table === 'chunks') && (t.damagedRegions || t.unreadable));
      // Which sections and chunks of a surviving document were lost cannot be told (the last ones
      // leave no gap), so every document is marked changed: `galen refresh` then rewrites each body
      // from its source file, keeping the row ids of the chunks that survived.
      markedForRefresh = bodiesDamaged ? fresh.prepare("UPDATE documents SET content_hash = 'recovered'").run().changes : 0;
      fresh.transaction(() => refreshTermStats(fresh, { force: true }))();
      sources = (fresh.prepare('SELECT name, paths FROM sources ORDER BY name').all() as { name: string; paths: string }[]).map((row) => ({
        name: row.name,
        paths: parsePaths(row.paths),
      }));
    } finally {
      fresh.close();
    }
  } catch (error) {
    rmSync(target, { force: true });
    rmSync(`${target}-wal`, { force: true });
    rmSync(`${target}-shm`, { force: true });
    if (error instanceof KnowledgeError) throw error;
    throw new KnowledgeError('STORE_OPEN_FAILED', `Recovering ${file} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    source.close();
  }
  const check = checkStoreFile(target);
  if (!check.ok) {
    const failed = check.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail.join('; ')}`);
    throw new KnowledgeError(
      'STORE_OPEN_FAILED',
      `The store rebuilt from ${file} fails its own checks (${failed.join(' | ')}); it is left at ${target} and ${file} is unchanged.`,
    );
  }
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(`${file}${suffix}`)) renameSync(`${file}${suffix}`, `${damagedCopy}${suffix}`);
  }
  renameSync(target, file);
  return { file, damagedCopy, tables, sources, markedForRefresh };
}

/** Copies every ordinary table of `fresh`'s schema that `source` still has, parents before children. */
function copyTables(source: Database, fresh: Database): TableRecovery[] {
  const names = (fresh.pragma('table_list') as { schema: string; name: string; type: string }[])
    .filter((t) => t.schema === 'main' && t.type === 'table' && !t.name.startsWith('sqlite_') && !NOT_COPIED.has(t.name))
    .map((t) => t.name);
  const report: TableRecovery[] = [];
  for (const table of parentsFirst(fresh, names)) report.push(copyTable(source, fresh, table));
  return report;
}

/** `tables` ordered so that each comes after the tables its foreign keys point to. */
function parentsFirst(db: Database, tables: string[]): string[] {
  const parents = new Map(
    tables.map((t) => [
      t,
      (db.pragma(`foreign_key_list(${quote(t)})`) as { table: string }[]).map((fk) => fk.table).filter((p) => p !== t),
    ]),
  );
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>): void => {
    if (ordered.includes(table) || path.has(table) || !parents.has(table)) return;
    path.add(table);
    for (const parent of parents.get(table) ?? []) visit(parent, path);
    ordered.push(table);
  };
  for (const table of [...tables].sort()) visit(table, new Set());
  return ordered;
}

function copyTable(source: Database, fresh: Database, table: string): TableRecovery {
  const result: TableRecovery = { table, recovered: 0, dropped: 0, damagedRegions: 0, unreadable: false };
  let sourceColumns: string[];
  let withoutRowid: boolean;
  try {
    sourceColumns = (source.pragma(`table_info(${quote(table)})`) as { name: string }[]).map((c) => c.name);
    const listed = (source.pragma(`table_list(${quote(table)})`) as { wr: number }[])[0];
    withoutRowid = listed?.wr === 1;
  } catch {
    return { ...result, unreadable: true };
  }
  const freshColumns = new Set((fresh.pragma(`table_info(${quote(table)})`) as { name: string }[]).map((c) => c.name));
  const columns = sourceColumns.filter((c) => freshColumns.has(c));
  if (!columns.length) return { ...result, unreadable: true };
  const list = columns.map(quote).join(', ');
  const insert = fresh.prepare(`INSERT OR IGNORE INTO ${quote(table)} (${list}) VALUES (${columns.map(() => '?').join(', ')})`);
  const write = (row: Record<string, unknown>): void => {
    try {
      if (insert.run(columns.map((c) => row[c])).changes) result.recovered++;
      else result.dropped++;
    } catch {
      // A foreign key to a row that was lost.
      result.dropped++;
    }
  };
  fresh.transaction(() => {
    if (withoutRowid) {
      try {
        for (const row of source.prepare(`SELECT ${list} FROM ${quote(table)}`).iterate()) write(row as Record<string, unknown>);
      } catch {
        result.damagedRegions++;
      }
    } else {
      readPastDamage(source, table, list, write, () => result.damagedRegions++);
    }
  })();
  if (result.damagedRegions && !result.recovered && !result.dropped) result.unreadable = true;
  return result;
}

/**
 * Reads a rowid table in rowid order, and when a row or page cannot be read, seeks to later row
 * ids (one further, then ever farther) until reading works again: a damaged page costs the rows
 * on it, not the rest of the table.
 */
function readPastDamage(
  source: Database,
  table: string,
  list: string,
  write: (row: Record<string, unknown>) => void,
  onDamage: () => void,
): void {
  const select = source.prepare(`SELECT rowid AS "__rowid", ${list} FROM ${quote(table)} WHERE rowid >= ? ORDER BY rowid`);
  let from = 0;
  let skip = 1;
  let inDamage = false;
  for (;;) {
    try {
      for (const row of select.iterate(from) as Iterable<Record<string, unknown> & { __rowid: number }>) {
        // A damaged page can read as rows out of order (a page past the end reads as zeros):
        // treat that as damage too, so that reading always moves forward.
        if (typeof row.__rowid !== 'number' || row.__rowid < from) throw new Error('rows out of order');
        write(row);
        from = row.__rowid + 1;
        skip = 1;
        inDamage = false;
      }
      return;
    } catch {
      if (!inDamage) onDamage();
      inDamage = true;
      from += skip;
      skip *= 2;
      // Past any row id a store of this kind reaches: the rest of the table is gone.
      if (skip > 2 ** 40) return;
    }
  }
}

function parsePaths(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
