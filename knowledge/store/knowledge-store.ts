import type { Database, Statement } from 'better-sqlite3';
import { join, resolve } from 'node:path';
import { DEFAULT_AUTHORITY, isAuthority, type Authority } from '../authority.js';
import type { Chunk, Metadata, ParsedDocument } from '../document.js';
import { KnowledgeError } from '../errors.js';
import { openDatabase } from './database.js';
import { IngestWriter, type SourceDefinition } from './ingest-writer.js';
import { refreshTermStats } from './term-stats.js';
import type { ChunkingOptions } from '../ingest/chunker.js';

/** A source as `galen sources` lists it. */
export interface SourceSummary {
  name: string;
  format: string;
  license: string;
  attribution: string;
  /** How authoritative the source's text is (see `AUTHORITY_LEVELS`). */
  authority: Authority;
  paths: string[];
  documents: number;
  sections: number;
  chunks: number;
  createdAt: string;
  refreshedAt: string | null;
}

/** A chunk's row id and content key, as {@link KnowledgeStore.chunkKeys} lists them. */
export interface ChunkKey {
  chunkId: number;
  /** Hex hash of the chunk's content and provenance; a changed chunk gets a new key. */
  contentKey: string;
}

/** The text fields of a chunk, as {@link KnowledgeStore.chunkTexts} pages them. */
export type ChunkText = Pick<Chunk, 'chunkId' | 'title' | 'section' | 'question' | 'text'>;

/** A stored document with its sections, as `galen export` writes it. */
export interface StoredDocument extends ParsedDocument {
  language: string;
}

/** The name of the SQLite file inside a data directory. */
export const STORE_FILE = 'galen.sqlite';

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The medical knowledge base: sources → documents → sections → chunks in one SQLite file
 * (`<dataDir>/galen.sqlite`), with FTS5 indexes over the chunks.
 *
 * @example
 * const store = KnowledgeStore.open({ dataDir: './data' });
 * console.log(store.listSources());
 * store.close();
 */
export class KnowledgeStore {
  private constructor(
    readonly db: Database,
    readonly file: string,
  ) {}

  /** Opens the store in `dataDir` (created if missing), migrating its schema. */
  static open(options: { dataDir: string }): KnowledgeStore {
    const file = resolve(join(options.dataDir, STORE_FILE));
    return new KnowledgeStore(openDatabase(file), file);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Throws a clear error unless `name` is a usable source name. */
  static validateSourceName(name: string): void {
    if (!SOURCE_NAME.test(name)) {
      throw new KnowledgeError(
        'INVALID_SOURCE_NAME',
        `Source name ${JSON.stringify(name)} is not valid: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
      );
    }
  }

  /** Starts a transactional ingest run for one source; see {@link IngestWriter}. */
  beginIngest(source: SourceDefinition, chunking?: ChunkingOptions): IngestWriter {
    KnowledgeStore.validateSourceName(source.name);
    return new IngestWriter(this.db, source, chunking);
  }

  listSources(): SourceSummary[] {
    const rows = this.db
      .prepare(
        `SELECT s.name, s.format, s.license, s.attribution, s.authority, s.paths, s.created_at, s.refreshed_at,
           (SELECT COUNT(*) FROM documents d WHERE d.source_id = s.id) AS documents,
           (SELECT COUNT(*) FROM sections x JOIN documents d ON d.id = x.document_id WHERE d.source_id = s.id) AS sections,
           (SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.source_id = s.id) AS chunks
         FROM sources s ORDER BY s.name`,
      )
      .all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      name: String(r.name),
      format: String(r.format),
      license: String(r.license),
      attribution: String(r.attribution),
      authority: toAuthority(r.authority),
      paths: JSON.parse(String(r.paths)) as string[],
      documents: Number(r.documents),
      sections: Number(r.sections),
      chunks: Number(r.chunks),
      createdAt: String(r.created_at),
      refreshedAt: r.refreshed_at === null ? null : String(r.refreshed_at),
    }));
  }

  getSource(name: string): SourceSummary {
    const source = this.listSources().find((s) => s.name === name);
    if (!source) throw new KnowledgeError('SOURCE_NOT_FOUND', `No source named ${JSON.stringify(name)} in ${this.file}.`);
    return source;
  }

  /** Deletes a source with all its documents and chunks in one transaction. */
  removeSource(name: string): { documents: number; chunks: number } {
    const source = this.getSource(name);
    this.db
      .transaction(() => {
        const id = (this.db.prepare('SELECT id FROM sources WHERE name = ?').get(name) as { id: number }).id;
        this.db.prepare('DELETE FROM chunks WHERE document_id IN (SELECT id FROM documents WHERE source_id = ?)').run(id);
        this.db.prepare('DELETE FROM sections WHERE document_id IN (SELECT id FROM documents WHERE source_id = ?)').run(id);
        this.db.prepare('DELETE FROM documents WHERE source_id = ?').run(id);
        this.db.prepare('DELETE FROM sources WHERE id = ?').run(id);
        refreshTermStats(this.db);
      })
      .immediate();
    return { documents: source.documents, chunks: source.chunks };
  }

  /**
   * A number that changes whenever another connection (another process, or another connection of
   * this one) commits to the store: SQLite's `PRAGMA data_version`. Cheap: no table is read, so a
   * server can poll it to notice a CLI ingest into the same data directory.
   *
   * @example
   * const seen = store.dataVersion(); … if (store.dataVersion() !== seen) reloadDerivedState();
   */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** Total number of chunks in the store. */
  countChunks(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM chunks').get() as { n: number }).n;
  }

  private chunksById: Statement | undefined;
  private chunkTextPage: Statement | undefined;

  /** Chunks by row id, in the order asked; unknown ids are left out. */
  getChunks(ids: readonly number[]): Chunk[] {
    if (ids.length === 0) return [];
    // Prepared once: searches read their hits through here on every question.
    this.chunksById ??= this.db.prepare(`${CHUNK_SELECT} WHERE c.id IN (SELECT value FROM json_each(?))`);
    const rows = this.chunksById.all(JSON.stringify(ids)) as ChunkRow[];
    const byId = new Map(rows.map((r) => [r.id, toChunk(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /**
   * Every chunk's row id with its content key, in row-id order. The key is a hash of the chunk's
   * content and provenance that changes whenever the chunk does, so a derived index (vectors) can
   * tell a new chunk from an unchanged one, and notice a row id SQLite reused for other content.
   * Streams: safe on stores of millions of chunks. Do not write to the store while iterating.
   *
   * @example
   * for (const { chunkId, contentKey } of store.chunkKeys()) indexed.get(chunkId) === contentKey || toEmbed.push(chunkId);
   */
  *chunkKeys(): Generator<ChunkKey> {
    const rows = this.db.prepare('SELECT id, chunk_key FROM chunks ORDER BY id').raw(true).iterate() as IterableIterator<[number, string]>;
    for (const [chunkId, contentKey] of rows) yield { chunkId, contentKey };
  }

  /**
   * A page of chunk texts in row-id order: at most `limit` (1–10,000) chunks with a row id above
   * `afterId` (start with 0; continue from the last `chunkId` returned, until a page is empty).
   * Only the fields an embedder reads, so paging through millions of chunks stays cheap;
   * {@link allChunkTexts} pages through them all.
   *
   * @example
   * const first = store.chunkTexts(0, 1000);
   * const second = store.chunkTexts(first.at(-1)!.chunkId, 1000);
   */
  chunkTexts(afterId: number, limit: number): ChunkText[] {
    if (!Number.isFinite(afterId)) throw new KnowledgeError('INVALID_INPUT', `chunkTexts: afterId must be a number, got ${afterId}.`);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new KnowledgeError('INVALID_INPUT', `chunkTexts: limit must be a whole number from 1 to 10,000, got ${limit}.`);
    }
    this.chunkTextPage ??= this.db.prepare(
      'SELECT id AS chunkId, title, section, question, text FROM chunks WHERE id > ? ORDER BY id LIMIT ?',
    );
    return this.chunkTextPage.all(Math.floor(afterId), limit) as ChunkText[];
  }

  /**
   * Every chunk's text, as the pages of {@link chunkTexts} in row-id order: at most `pageSize`
   * (1–10,000) chunks each, never an empty page. Only one page is in memory at a time, so it
   * suits stores of millions of chunks; a `pageSize` out of range throws on the first page.
   *
   * @example
   * for (const page of store.allChunkTexts()) fit(page);
   */
  *allChunkTexts(pageSize = 1000): Generator<ChunkText[]> {
    for (let page = this.chunkTexts(0, pageSize); page.length; page = this.chunkTexts(page.at(-1)!.chunkId, pageSize)) yield page;
  }

  /**
   * Subjects with their synonyms, from documents whose metadata lists `synonyms` beside `focus`
   * (MedQuAD's UMLS synonyms), in document order. What a query normaliser mines to search
   * "faciogenital dysplasia" as "Aarskog-Scott syndrome".
   *
   * @example
   * store.focusSynonyms() // → [{ focus: 'Aarskog-Scott syndrome', synonyms: ['faciogenital dysplasia', …] }, …]
   */
  focusSynonyms(): Array<{ focus: string; synonyms: string[] }> {
    const rows = this.db
      .prepare(
        "SELECT json_extract(metadata, '$.focus') AS focus, json_extract(metadata, '$.synonyms') AS synonyms FROM documents WHERE json_extract(metadata, '$.synonyms') IS NOT NULL ORDER BY id",
      )
      .all() as Array<{ focus: unknown; synonyms: unknown }>;
    const out: Array<{ focus: string; synonyms: string[] }> = [];
    for (const row of rows) {
      if (typeof row.focus !== 'string' || !row.focus || typeof row.synonyms !== 'string') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(row.synonyms);
      } catch {
        continue;
      }
      const synonyms = Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
      if (synonyms.length) out.push({ focus: row.focus, synonyms });
    }
    return out;
  }

  /**
   * Every curated subject name the store knows: each document's metadata `focus` and its
   * `synonyms` (MedQuAD's conditions, drugs and tests with their UMLS synonyms), distinct, in
   * document order. Free text (titles, sections) stays out: this is a list of medical terms that
   * may be searched for elsewhere, so it must not carry what a document happens to mention.
   *
   * @example
   * store.focusTerms() // → ['Aarskog-Scott syndrome', 'faciogenital dysplasia', 'Gout', …]
   */
  focusTerms(): string[] {
    const rows = this.db
      .prepare(
        "SELECT json_extract(metadata, '$.focus') AS focus, json_extract(metadata, '$.synonyms') AS synonyms FROM documents WHERE json_extract(metadata, '$.focus') IS NOT NULL ORDER BY id",
      )
      .all() as Array<{ focus: unknown; synonyms: unknown }>;
    const terms = new Set<string>();
    for (const row of rows) {
      if (typeof row.focus === 'string' && row.focus.trim()) terms.add(row.focus.trim());
      if (typeof row.synonyms !== 'string') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(row.synonyms);
      } catch {
        continue;
      }
      if (Array.isArray(parsed)) for (const s of parsed) if (typeof s === 'string' && s.trim()) terms.add(s.trim());
    }
    return [...terms];
  }

  /** Chunks by citation id (e.g. `GHR_0000804_Sec2`), in stored order. */
  getChunksByExternalId(externalId: string): Chunk[] {
    return (this.db.prepare(`${CHUNK_SELECT} WHERE c.external_id = ? ORDER BY c.document_id, c.ordinal`).all(externalId) as ChunkRow[]).map(
      toChunk,
    );
  }

  /** Every document of a source with its sections (question-only ones included), in id order. */
  *documents(source: string): Generator<StoredDocument> {
    this.getSource(source);
    const docs = this.db
      .prepare(
        `SELECT d.id, d.external_id, d.title, d.focus, d.url, d.language, d.metadata FROM documents d
         JOIN sources s ON s.id = d.source_id WHERE s.name = ? ORDER BY d.id`,
      )
      .all(source) as Array<{
      id: number;
      external_id: string;
      title: string;
      focus: string;
      url: string | null;
      language: string;
      metadata: string;
    }>;
    const sections = this.db.prepare(
      'SELECT external_id, heading, question, text, metadata FROM sections WHERE document_id = ? ORDER BY ordinal',
    );
    for (const d of docs) {
      const doc: StoredDocument = {
        externalId: d.external_id,
        title: d.title,
        language: d.language,
        sections: (
          sections.all(d.id) as Array<{ external_id: string; heading: string; question: string; text: string; metadata: string }>
        ).map((s) => ({
          externalId: s.external_id,
          ...(s.heading ? { heading: s.heading } : {}),
          ...(s.question ? { question: s.question } : {}),
          text: s.text,
          metadata: JSON.parse(s.metadata) as Metadata,
        })),
        metadata: JSON.parse(d.metadata) as Metadata,
      };
      if (d.focus) doc.focus = d.focus;
      if (d.url) doc.url = d.url;
      yield doc;
    }
  }
}

interface ChunkRow {
  id: number;
  external_id: string;
  document_external_id: string;
  source: string;
  title: string;
  section: string;
  question: string;
  url: string | null;
  language: string;
  text: string;
  license: string;
  attribution: string;
  authority: string;
  metadata: string;
}

/** Selects a chunk with its document's and source's provenance; shared with search. */
export const CHUNK_SELECT = `SELECT c.id, c.external_id, d.external_id AS document_external_id, s.name AS source, c.title,
  c.section, c.question, d.url, c.language, c.text, s.license, s.attribution, s.authority, x.metadata
  FROM chunks c JOIN documents d ON d.id = c.document_id JOIN sources s ON s.id = d.source_id
  JOIN sections x ON x.id = c.section_id`;

export function toChunk(r: ChunkRow): Chunk {
  return {
    chunkId: r.id,
    externalId: r.external_id,
    documentExternalId: r.document_external_id,
    source: r.source,
    title: r.title,
    section: r.section,
    question: r.question,
    url: r.url,
    language: r.language,
    text: r.text,
    license: r.license,
    attribution: r.attribution,
    authority: toAuthority(r.authority),
    metadata: JSON.parse(r.metadata) as Metadata,
  };
}

/** A stored level; a value this build does not know (written by hand) reads as the default. */
function toAuthority(value: unknown): Authority {
  return isAuthority(value) ? value : DEFAULT_AUTHORITY;
}

export type { ChunkRow };
