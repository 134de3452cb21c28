/**
 * Text embeddings for vector retrieval: the {@link EmbeddingModel} interface, the built-in
 * {@link LsaEmbedder} (TF-IDF + randomized truncated SVD), which needs no outside weights, and
 * {@link OnnxEmbeddingModel} for sentence-transformers-style ONNX encoders (BERT family).
 * Imports nothing from the rest of Galen.
 */
export type { EmbeddingModel } from './embedding-model.js';
export { LsaEmbedder, DEFAULT_LSA_OPTIONS, type LsaOptions } from './lsa-embedder.js';
export { LSA_FILE_VERSION } from './lsa-model-file.js';
export { tokenizeTerms, lightStem } from './term-tokenizer.js';
export { randomizedSvd, type RandomizedSvdOptions, type TruncatedSvd } from './randomized-svd.js';
export { EmbeddingError, type EmbeddingErrorCode } from './errors.js';
export {
  OnnxEmbeddingModel,
  loadEmbeddingModel,
  DEFAULT_EMBEDDING_BATCH_SIZE,
  DEFAULT_EMBEDDING_MAX_SEQUENCE_LENGTH,
  type OnnxEmbeddingOptions,
  type OnnxEmbeddingInfo,
  type EmbeddingOutput,
} from './onnx-embedding-model.js';
export type { PoolingMode } from './pooling.js';
export { readSentenceTransformersDirectory, type SentenceTransformersDirectory } from './sentence-transformers-directory.js';
export { readEncoderDirectory, type EncoderDirectory, type EncoderDirectoryOptions } from './encoder-directory.js';
