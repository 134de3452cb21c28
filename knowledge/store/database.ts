import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
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
    throw new KnowledgeError('STORE_OPEN_FAILED', `Cannot open the knowledge store ${file}: ${(error as Error).message}`, { cause: error });
  }
}
