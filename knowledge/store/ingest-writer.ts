import type { Database, Statement } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { Origin, ParsedDocument } from '../document.js';
import { DEFAULT_AUTHORITY, type Authority } from '../authority.js';
import { detectLanguage, hasCjk } from '../language.js';
import { chunkDocument, DEFAULT_CHUNKING, type ChunkingOptions } from '../ingest/chunker.js';
import { refreshTermStats } from './term-stats.js';

/** What happened to one document in an ingest run. */
export type DocumentOutcome = 'added' | 'updated' | 'unchanged' | 'duplicate';

/** Counts of an ingest run, as the CLI summary and the HTTP job report show them. */
export interface IngestCounts {
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  /** Documents that were not seen this run but kept, because the file they came from could not be read. */
  kept: number;
  chunksAdded: number;
  chunksRemoved: number;
  /** Question-only records (sections without answer text) stored without chunks. */
  questionOnly: number;
}

/** The source row an ingest run writes to. */
export interface SourceDefinition {
  name: string;
  format: string;
  license: string;
  attribution: string;
  paths: string[];
  /** How authoritative its text is; default: the source's current level, else {@link DEFAULT_AUTHORITY}. */
  authority?: Authority;
}

interface ExistingDocument {
  id: number;
  hash: string;
  origin: string | null;
  seen: boolean;
}

/**
 * One ingest run over one source, inside a single SQLite transaction: documents not offered to
 * {@link IngestWriter.apply} before {@link IngestWriter.commit} are removed (a refresh), and a
 * crash or kill before the commit leaves the previous state whole.
 */
export class IngestWriter {
  readonly counts: IngestCounts = {
    added: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    kept: 0,
    chunksAdded: 0,
    chunksRemoved: 0,
    questionOnly: 0,
  };
  private readonly sourceId: number;
  private readonly existing = new Map<string, ExistingDocument>();
  private readonly seenThisRun = new Map<string, Origin>();
  private readonly chunking: Required<ChunkingOptions>;
  private readonly stmts: Record<
    | 'insertDoc'
    | 'updateDoc'
    | 'deleteSections'
    | 'insertSection'
    | 'chunkKeys'
    | 'deleteChunk'
    | 'insertChunk'
    | 'moveChunk'
    | 'deleteDocChunks'
    | 'deleteDoc',
    Statement
  >;
  private open = true;

  constructor(
    private readonly db: Database,
    source: SourceDefinition,
    chunking: ChunkingOptions = {},
  ) {
    this.chunking = { ...DEFAULT_CHUNKING, ...chunking };
    db.exec('BEGIN IMMEDIATE');
    try {
      const now = new Date().toISOString();
      db.prepare(
        `INSERT INTO sources (name, format, license, attribution, paths, created_at, authority) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET format = excluded.format, license = excluded.license,
           attribution = excluded.attribution, paths = excluded.paths, authority = COALESCE(?, authority)`,
      ).run(
        source.name,
        source.format,
        source.license,
        source.attribution,
        JSON.stringify(source.paths),
        now,
        source.authority ?? DEFAULT_AUTHORITY,
        source.authority ?? null,
      );
      this.sourceId = (db.prepare('SELECT id FROM sources WHERE name = ?').get(source.name) as { id: number }).id;
      for (const row of db
        .prepare('SELECT id, external_id, content_hash, origin FROM documents WHERE source_id = ?')
        .iterate(this.sourceId) as IterableIterator<{ id: number; external_id: string; content_hash: string; origin: string | null }>) {
        this.existing.set(row.external_id, { id: row.id, hash: row.content_hash, origin: row.origin, seen: false });
      }
      this.stmts = {
        insertDoc: db.prepare(
          `INSERT INTO documents (source_id, external_id, title, focus, url, language, content_hash, metadata, origin, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ),
        updateDoc: db.prepare(
          `UPDATE documents SET title = ?, focus = ?, url = ?, language = ?, content_hash = ?, metadata = ?, origin = ?, updated_at = ?
           WHERE id = ?`,
        ),
        deleteSections: db.prepare('DELETE FROM sections WHERE document_id = ?'),
        insertSection: db.prepare(
          `INSERT INTO sections (document_id, ordinal, external_id, heading, question, text, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ),
        chunkKeys: db.prepare('SELECT id, chunk_key FROM chunks WHERE document_id = ?'),
        deleteChunk: db.prepare('DELETE FROM chunks WHERE id = ?'),
        insertChunk: db.prepare(
          `INSERT INTO chunks (document_id, section_id, chunk_key, ordinal, external_id, title, focus, question, section, text, language, is_cjk)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ),
        moveChunk: db.prepare('UPDATE chunks SET ordinal = ?, section_id = ? WHERE id = ?'),
        deleteDocChunks: db.prepare('DELETE FROM chunks WHERE document_id = ?'),
        deleteDoc: db.prepare('DELETE FROM documents WHERE id = ?'),
      };
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Adds or updates one document. Unchanged documents (same content hash) are not touched, and an
   * updated document keeps the row ids of its unchanged chunks so vector indexes stay valid.
   */
  apply(doc: ParsedDocument, origin: Origin): DocumentOutcome {
    this.assertOpen();
    if (this.seenThisRun.has(doc.externalId)) return 'duplicate';
    this.seenThisRun.set(doc.externalId, origin);
    const language = doc.language ?? detectLanguage(`${doc.title}\n${doc.sections.map((s) => s.text).join('\n')}`);
    const hash = this.hashDocument(doc, language);
    const before = this.existing.get(doc.externalId);
    const originText = formatOrigin(origin);
    const now = new Date().toISOString();
    const metadata = JSON.stringify(doc.metadata ?? {});
    this.counts.questionOnly += doc.sections.filter((s) => !s.text.trim()).length;
    if (before) {
      before.seen = true;
      if (before.hash === hash) {
        this.counts.unchanged++;
        return 'unchanged';
      }
      this.stmts.updateDoc.run(doc.title, doc.focus ?? '', doc.url ?? null, language, hash, metadata, originText, now, before.id);
      this.writeBody(before.id, doc, language);
      this.counts.updated++;
      return 'updated';
    }
    const id = Number(
      this.stmts.insertDoc.run(
        this.sourceId,
        doc.externalId,
        doc.title,
        doc.focus ?? '',
        doc.url ?? null,
        language,
        hash,
        metadata,
        originText,
        now,
      ).lastInsertRowid,
    );
    this.writeBody(id, doc, language);
    this.counts.added++;
    return 'added';
  }

  /** The origin of the first document with this id in this run, if there was one. */
  firstSeen(externalId: string): Origin | undefined {
    return this.seenThisRun.get(externalId);
  }

  /**
   * Removes documents not seen this run (except those that came from `unreadablePaths`, which are
   * kept because their file failed, not because they were deleted) and commits.
   */
  commit(unreadablePaths: ReadonlySet<string> = new Set()): IngestCounts {
    this.assertOpen();
    try {
      for (const doc of this.existing.values()) {
        if (doc.seen) continue;
        const originPath = doc.origin ? parseOriginPath(doc.origin) : '';
        if (unreadablePaths.has(originPath)) {
          this.counts.kept++;
          continue;
        }
        this.counts.chunksRemoved += this.stmts.deleteDocChunks.run(doc.id).changes;
        this.stmts.deleteSections.run(doc.id);
        this.stmts.deleteDoc.run(doc.id);
        this.counts.removed++;
      }
      if (this.counts.chunksAdded || this.counts.chunksRemoved) refreshTermStats(this.db);
      this.db.prepare('UPDATE sources SET refreshed_at = ? WHERE id = ?').run(new Date().toISOString(), this.sourceId);
      this.db.exec('COMMIT');
    } catch (error) {
      this.rollback();
      throw error;
    }
    this.open = false;
    return { ...this.counts };
  }

  /** Abandons the run; the store is as it was before the writer was created. */
  rollback(): void {
    if (!this.open) return;
    this.open = false;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  private writeBody(documentId: number, doc: ParsedDocument, language: string): void {
    this.stmts.deleteSections.run(documentId);
    const sectionIds = doc.sections.map((s, i) =>
      Number(
        this.stmts.insertSection.run(
          documentId,
          i,
          s.externalId ?? doc.externalId,
          s.heading ?? '',
          s.question ?? '',
          s.text,
          JSON.stringify(s.metadata ?? {}),
        ).lastInsertRowid,
      ),
    );
    const oldChunks = new Map<string, number>();
    for (const row of this.stmts.chunkKeys.iterate(documentId) as IterableIterator<{ id: number; chunk_key: string }>) {
      oldChunks.set(row.chunk_key, row.id);
    }
    const occurrences = new Map<string, number>();
    const drafts = chunkDocument(doc, this.chunking);
    drafts.forEach((draft, ordinal) => {
      const base = `${draft.externalId}\u0000${draft.heading}\u0000${draft.question}\u0000${draft.text}`;
      const n = occurrences.get(base) ?? 0;
      occurrences.set(base, n + 1);
      const key = sha256(
        `${this.sourceId}\u0000${doc.externalId}\u0000${doc.title}\u0000${doc.focus ?? ''}\u0000${language}\u0000${base}\u0000${n}`,
      );
      const sectionId = sectionIds[draft.sectionIndex]!;
      const kept = oldChunks.get(key);
      if (kept !== undefined) {
        oldChunks.delete(key);
        this.stmts.moveChunk.run(ordinal, sectionId, kept);
        return;
      }
      this.stmts.insertChunk.run(
        documentId,
        sectionId,
        key,
        ordinal,
        draft.externalId,
        doc.title,
        doc.focus ?? '',
        draft.question,
        draft.heading,
        draft.text,
        language,
        hasCjk(`${doc.title}${draft.question}${draft.text}`) ? 1 : 0,
      );
      this.counts.chunksAdded++;
    });
    for (const id of oldChunks.values()) {
      this.stmts.deleteChunk.run(id);
      this.counts.chunksRemoved++;
    }
  }

  private hashDocument(doc: ParsedDocument, language: string): string {
    return sha256(JSON.stringify([doc.title, doc.focus ?? '', doc.url ?? null, language, doc.metadata ?? {}, doc.sections, this.chunking]));
  }

  private assertOpen(): void {
    if (!this.open) throw new Error('This ingest run has already been committed or rolled back');
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

function formatOrigin(origin: Origin): string {
  return origin.line === undefined ? origin.path : `${origin.path}:${origin.line}`;
}

function parseOriginPath(origin: string): string {
  const m = /^(.*):(\d+)$/.exec(origin);
  return m ? m[1]! : origin;
}
