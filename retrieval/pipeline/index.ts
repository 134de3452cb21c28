export type { Evidence, EvidenceSource } from './evidence.js';
export { MEDICAL_ABBREVIATIONS, QueryNormalizer, type QueryNormalizerOptions } from './query-normalizer.js';
export {
  RetrievalPipeline,
  WIKIPEDIA_LIVE_SOURCE,
  DEFAULT_VECTOR_WEIGHT,
  type LocalFusion,
  type RetrievalTimings,
  type RetrievalPipelineOptions,
  type RetrievalPipelineParts,
  type RetrievalResult,
  type RetrieveRequest,
  type VectorSearcher,
} from './retrieval-pipeline.js';
