/**
 * Vector retrieval: an HNSW index (hnswlib, cosine) of chunk embeddings stored beside the knowledge
 * store, kept in step with it by {@link syncVectorIndex}, built and updated in a worker thread.
 */
export {
  VectorIndex,
  DEFAULT_EF_SEARCH,
  type VectorIndexOptions,
  type VectorIndexLogger,
  type VectorHit,
  type VectorChanges,
  type EmbedderIdentity,
} from './vector-index.js';
export { syncVectorIndex, type SyncOptions, type SyncReport } from './sync-vector-index.js';
export { chunkEmbeddingText } from './chunk-embedding-text.js';
export { VECTOR_INDEX_FILE, VECTOR_LABELS_FILE, VECTOR_META_FILE, type VectorIndexMeta } from './index-files.js';
export { VectorIndexError, type VectorIndexErrorCode } from './errors.js';
