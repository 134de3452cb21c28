import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { basename, dirname } from 'node:path';
import { KnowledgeError } from '../errors.js';
import { createPrivateFile } from '../files/private-files.js';
import { migrate } from './migrations.js';

/**
 * Opens (creating if needed, owner-only) the SQLite file at `file` in WAL mode and migrates it.
 * WAL lets the server read while an ingest writes; `synchronous=NORMAL` is durable at each
 * commit boundary in WAL mode, which is all an ingest run needs.
 */
export function openDatabase(file: string): Database {
  let db: Database;
  try {
    // SQLite would create it 0644, and its -wal and -shm files take the main file's mode.
    createPrivateFile(file);
    db = new BetterSqlite3(file);
  } catch (cause) {
    if (isCorruption(cause)) throw corruptStoreError(file, cause);
    throw new KnowledgeError('STORE_OPEN_FAILED', `Cannot open the knowledge store ${file}: ${(cause as Error).message}`, { cause });
  }
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    migrate(db, file);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof KnowledgeError) throw error;
    if (isCorruption(error)) throw corruptStoreError(file, error);
    throw new KnowledgeError('STORE_OPEN_FAILED', `Cannot open the knowledge store ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Whether `error` is SQLite saying the file is damaged or not a database. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** The error for a damaged store file: what happened, and the commands that help. */
export function corruptStoreError(file: string, cause: unknown): KnowledgeError {
  const dir = dirname(file);
  return new KnowledgeError(
    'STORE_CORRUPT',
    `The knowledge store ${file} is damaged (${(cause as Error).message}). ` +
      `Run \`galen store check --data ${dir}\` to see what is wrong, then \`galen store recover --data ${dir}\` ` +
      `to rebuild it from what can still be read (the damaged file is kept as ${basename(file)}.corrupt-<time>).`,
    { cause },
  );
}
