import { GalenError } from '../../errors/index.js';

/** Machine-readable reasons an embedding operation can fail. */
export type EmbeddingErrorCode =
  /** An option is out of range (dimension, vocabulary size…). */
  | 'INVALID_OPTIONS'
  /** Fitting needs at least one text with a usable term. */
  | 'EMPTY_CORPUS'
  /** The model file does not exist. */
  | 'MODEL_FILE_NOT_FOUND'
  /** The model file is truncated, corrupted or of an unknown format or version. */
  | 'INVALID_MODEL_FILE';

/**
 * A failure in the embedding layer with a stable `code`, so callers can tell "refit" (a bad
 * model file) from "fix the configuration" (bad options) without parsing messages.
 *
 * @example
 * try { await LsaEmbedder.load(file); }
 * catch (e) { if (e instanceof EmbeddingError && e.code === 'INVALID_MODEL_FILE') refit(); }
 */
export class EmbeddingError extends GalenError<EmbeddingErrorCode> {
  override readonly name = 'EmbeddingError';
}
