/**
 * Text embeddings for vector retrieval: the {@link EmbeddingModel} interface and the built-in
 * {@link LsaEmbedder} (TF-IDF + randomized truncated SVD), which needs no outside weights.
 * Imports nothing from the rest of Galen.
 */
export type { EmbeddingModel } from './embedding-model.js';
export { LsaEmbedder, DEFAULT_LSA_OPTIONS, type LsaOptions } from './lsa-embedder.js';
export { LSA_FILE_VERSION } from './lsa-model-file.js';
export { tokenizeTerms, lightStem } from './term-tokenizer.js';
export { randomizedSvd, type RandomizedSvdOptions, type TruncatedSvd } from './randomized-svd.js';
export { EmbeddingError, type EmbeddingErrorCode } from './errors.js';
