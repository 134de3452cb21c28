import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KnowledgeStore, SCHEMA_VERSION, STORE_FILE } from '../../knowledge/index.js';
import { tempDir } from '../helpers/paths.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('the store file', () => {
  it('is created in WAL mode with the current schema version recorded', () => {
    const store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'nested', 'data') });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const versions = store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions.at(-1)).toBe(SCHEMA_VERSION);
    store.close();
    // Opening again migrates nothing and keeps data.
    const again = KnowledgeStore.open({ dataDir: join(tmp.dir, 'nested', 'data') });
    expect(again.db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(versions.length);
    again.close();
  });

  it('refuses a store written by a newer Galen', () => {
    KnowledgeStore.open({ dataDir: tmp.dir }).close();
    const db = new BetterSqlite3(join(tmp.dir, STORE_FILE));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'now')").run(SCHEMA_VERSION + 1);
    db.close();
    expect(() => KnowledgeStore.open({ dataDir: tmp.dir })).toThrow(
      new RegExp(`schema version ${SCHEMA_VERSION + 1}, but this Galen knows versions up to ${SCHEMA_VERSION}`),
    );
  });

  it('refuses a file that is not a SQLite database', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(tmp.dir, STORE_FILE), 'this is not a database'.repeat(100));
    // Damaged or not a store at all: the message says which file and how to go on.
    expect(() => KnowledgeStore.open({ dataDir: tmp.dir })).toThrow(
      /knowledge store .* is damaged \(file is not a database\).*galen store check/,
    );
  });
});
