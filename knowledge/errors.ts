import { GalenError } from '../errors/index.js';

/** Machine-readable reasons a knowledge operation can fail. */
export type KnowledgeErrorCode =
  | 'SCHEMA_TOO_NEW'
  | 'STORE_OPEN_FAILED'
  /** The store file is damaged (truncated, overwritten): `galen store recover` rebuilds it. */
  | 'STORE_CORRUPT'
  | 'SOURCE_NOT_FOUND'
  | 'INVALID_SOURCE_NAME'
  | 'INVALID_INPUT'
  | 'UNKNOWN_FORMAT'
  | 'INGEST_FAILED';

/**
 * A failure in the knowledge base with a stable `code`, so callers (CLI, HTTP) can map it
 * to an exit status or a 4xx/5xx without parsing messages.
 */
export class KnowledgeError extends GalenError<KnowledgeErrorCode> {
  override readonly name = 'KnowledgeError';
}
