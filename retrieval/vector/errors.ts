import { GalenError } from '../../errors/index.js';

/** Machine-readable reasons a vector index operation can fail. */
export type VectorIndexErrorCode =
  /** An option is out of range (M, efConstruction, efSearch, k…). */
  | 'INVALID_OPTIONS'
  /** A query vector's length is not the index's dimension. */
  | 'DIMENSION_MISMATCH'
  /** Vectors handed to the index do not match their labels (count, length, non-finite values). */
  | 'INVALID_VECTORS'
  /** `syncVectorIndex` was given another embedder than the one the index was opened for. */
  | 'EMBEDDER_MISMATCH'
  /** The index worker failed to build or write the index file (disk full, crash). */
  | 'BUILD_FAILED'
  /** The store has no text the built-in embedder can be fitted on (empty, or no term in two chunks). */
  | 'EMPTY_CORPUS'
  /** The index was closed. */
  | 'CLOSED';

/**
 * A failure of the vector index with a stable `code`. Problems with the files on disk are not
 * errors: a missing, corrupted or mismatched index is logged and rebuilt instead.
 *
 * @example
 * try { index.search(vector, 10); }
 * catch (e) { if (e instanceof VectorIndexError && e.code === 'DIMENSION_MISMATCH') … }
 */
export class VectorIndexError extends GalenError<VectorIndexErrorCode> {
  override readonly name = 'VectorIndexError';
}
