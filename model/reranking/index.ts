/**
 * Reranking: the {@link RerankingModel} contract a retrieval pipeline uses to reorder candidates,
 * and {@link OnnxRerankingModel}, a BERT-family ONNX cross-encoder behind it.
 * Imports nothing from the rest of Galen.
 */
export type { RerankingModel } from './reranking-model.js';
export {
  OnnxRerankingModel,
  loadRerankingModel,
  DEFAULT_RERANKING_BATCH_SIZE,
  DEFAULT_RERANKING_MAX_SEQUENCE_LENGTH,
  type OnnxRerankingOptions,
  type OnnxRerankingInfo,
} from './onnx-reranking-model.js';
