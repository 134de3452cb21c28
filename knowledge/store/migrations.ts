import type { Database } from 'better-sqlite3';
import { KnowledgeError } from '../errors.js';

/** One forward-only schema step. Versions are dense and start at 1. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The store's schema history. Never edit a released migration: append a new one.
 * `chunks` holds the searchable units; `chunks_fts` (Porter + unicode61, field-weighted BM25) and
 * `chunks_cjk` (trigram, CJK chunks only) are external-content FTS5 indexes kept in step by triggers.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sources, documents, sections, chunks and their full-text indexes',
    sql: `
      CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL,
        license TEXT NOT NULL DEFAULT '',
        attribution TEXT NOT NULL DEFAULT '',
        paths TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        refreshed_at TEXT
      );
      CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        external_id TEXT NOT NULL,
        title TEXT NOT NULL,
        focus TEXT NOT NULL DEFAULT '',
        url TEXT,
        language TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        origin TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (source_id, external_id)
      );
      CREATE TABLE sections (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        external_id TEXT NOT NULL,
        heading TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX sections_document ON sections(document_id);
      CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        section_id INTEGER NOT NULL,
        chunk_key TEXT NOT NULL UNIQUE,
        ordinal INTEGER NOT NULL,
        external_id TEXT NOT NULL,
        title TEXT NOT NULL,
        focus TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL DEFAULT '',
        section TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        language TEXT NOT NULL,
        is_cjk INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX chunks_document ON chunks(document_id);
      CREATE INDEX chunks_external_id ON chunks(external_id);
      -- Short CJK queries (1–2 characters) cannot use the trigram index: they scan CJK rows only.
      CREATE INDEX chunks_cjk_rows ON chunks(id) WHERE is_cjk = 1;

      CREATE VIRTUAL TABLE chunks_fts USING fts5(
        title, focus, question, section, text,
        content='chunks', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
      );
      CREATE VIRTUAL TABLE chunks_fts_vocab USING fts5vocab(chunks_fts, row);
      -- Document frequencies of the index's frequent terms, rebuilt after each write (see term-stats.ts).
      CREATE TABLE term_stats (term TEXT PRIMARY KEY, doc INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE VIRTUAL TABLE chunks_cjk USING fts5(
        title, question, text,
        content='chunks', content_rowid='id',
        tokenize='trigram'
      );

      CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, title, focus, question, section, text)
          VALUES (new.id, new.title, new.focus, new.question, new.section, new.text);
        INSERT INTO chunks_cjk(rowid, title, question, text)
          SELECT new.id, new.title, new.question, new.text WHERE new.is_cjk = 1;
      END;
      CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, title, focus, question, section, text)
          VALUES ('delete', old.id, old.title, old.focus, old.question, old.section, old.text);
        INSERT INTO chunks_cjk(chunks_cjk, rowid, title, question, text)
          SELECT 'delete', old.id, old.title, old.question, old.text WHERE old.is_cjk = 1;
      END;
      CREATE TRIGGER chunks_au AFTER UPDATE OF title, focus, question, section, text, is_cjk ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, title, focus, question, section, text)
          VALUES ('delete', old.id, old.title, old.focus, old.question, old.section, old.text);
        INSERT INTO chunks_cjk(chunks_cjk, rowid, title, question, text)
          SELECT 'delete', old.id, old.title, old.question, old.text WHERE old.is_cjk = 1;
        INSERT INTO chunks_fts(rowid, title, focus, question, section, text)
          VALUES (new.id, new.title, new.focus, new.question, new.section, new.text);
        INSERT INTO chunks_cjk(rowid, title, question, text)
          SELECT new.id, new.title, new.question, new.text WHERE new.is_cjk = 1;
      END;
    `,
  },
  {
    version: 2,
    name: 'source authority (reference, literature, encyclopedia, dialogue)',
    // Existing sources are classed as an ingest would default them: by the format they were read
    // with, else by what their name or attribution says they are.
    sql: `
      ALTER TABLE sources ADD COLUMN authority TEXT NOT NULL DEFAULT 'encyclopedia';
      UPDATE sources SET authority = CASE
        WHEN format IN ('medquad', 'medquad-csv') OR lower(name) LIKE '%medquad%' OR attribution LIKE '%MedQuAD%' THEN 'reference'
        WHEN format = 'pubmedqa' OR lower(name) LIKE '%pubmed%' OR attribution LIKE '%PubMedQA%' THEN 'literature'
        WHEN format = 'dialogues' OR lower(name) LIKE '%chatdoctor%' OR lower(name) LIKE '%medicalgpt%'
          OR attribution LIKE '%ChatDoctor%' OR attribution LIKE '%MedicalGPT%' THEN 'dialogue'
        ELSE 'encyclopedia' END;
    `,
  },
];

/** The newest schema version this build understands. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings `db` up to {@link SCHEMA_VERSION}, each step in its own transaction.
 * A store written by a newer Galen is refused rather than half-understood.
 */
export function migrate(db: Database, file: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new KnowledgeError(
      'SCHEMA_TOO_NEW',
      `The knowledge store ${file} has schema version ${current}, but this Galen knows versions up to ${SCHEMA_VERSION}. ` +
        'Upgrade Galen, or point --data at another directory.',
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    }).immediate();
  }
}
