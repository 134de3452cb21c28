/**
 * The medical knowledge base: a SQLite store of sources → documents → sections → chunks,
 * ingestion from files (MedQuAD, PubMedQA, ChatDoctor, JSONL, Markdown, text) with refresh
 * semantics, and BM25 lexical search.
 */
export {
  KnowledgeStore,
  STORE_FILE,
  type ChunkKey,
  type ChunkText,
  type SourceSummary,
  type StoredDocument,
} from './store/knowledge-store.js';
export { SCHEMA_VERSION } from './store/migrations.js';
export { checkStoreFile, type StoreCheckReport, type StoreCheckResult } from './store/store-check.js';
export { recoverStoreFile, type StoreRecoveryReport, type TableRecovery } from './store/store-recovery.js';
export type { IngestCounts, DocumentOutcome, SourceDefinition } from './store/ingest-writer.js';
export type { Chunk, Metadata, Origin, ParsedDocument, ParsedSection } from './document.js';
export { AUTHORITY_LEVELS, DEFAULT_AUTHORITY, isAuthority, parseAuthority, leastAuthority, type Authority } from './authority.js';
export { KnowledgeError, type KnowledgeErrorCode } from './errors.js';
export { ingest, type IngestOptions, type IngestProgress, type IngestReport } from './ingest/ingest.js';
export { FORMAT_NAMES, type FormatName, type Rejection } from './ingest/format.js';
export { FORMATS } from './ingest/formats/index.js';
export { webUrl } from './ingest/web-url.js';
export { chunkDocument, DEFAULT_CHUNKING, type ChunkingOptions } from './ingest/chunker.js';
export { DEFAULT_LIMITS, type InputLimits } from './ingest/input-file.js';
export { LexicalSearch, MAX_TITLED, type LexicalHit, type LexicalResult, type LexicalSearchOptions } from './search/lexical-search.js';
export { STOPWORDS } from './search/stopwords.js';
export { exportSource, type ExportOptions, type ExportReport } from './seed/export-source.js';
export { seedStore, SEED_FILE, SEED_SOURCE, SEED_SOURCES, type SeedSource } from './seed/seed.js';
export { PACKAGE_ROOT } from './package-root.js';
export {
  createPrivateFile,
  ensurePrivateDir,
  loosePermissions,
  openPrivateAppend,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  type LoosePath,
} from './files/index.js';
