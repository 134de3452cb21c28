/**
 * Vector retrieval: an HNSW index (hnswlib, cosine) of chunk embeddings stored beside the knowledge
 * store, kept in step with it by {@link syncVectorIndex}, built and updated in a worker thread.
 * {@link openVectorRetrieval} wires it all to a store: the built-in LSA embedder (fitted, persisted
 * and refitted beside the store), the index, and a searcher for the retrieval pipeline.
 */
export {
  openVectorRetrieval,
  readVectorIndexStatus,
  type VectorRetrieval,
  type VectorRetrievalOptions,
  type VectorSyncReport,
  type VectorSyncOptions,
  type VectorIndexStatus,
} from './vector-retrieval.js';
export { LSA_MODEL_FILE, LSA_STATE_FILE, evenSample } from './lsa-state.js';
export {
  VectorIndex,
  DEFAULT_EF_SEARCH,
  DEFAULT_INLINE_BUILD_LIMIT,
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
export { acquireIndexLock, readIndexLock, VECTOR_LOCK_FILE, type IndexLock, type IndexLockHolder } from './index-lock.js';
export { verifyVectorIndexFiles, type VectorFilesCheck } from './verify-index-files.js';
