export type { Evidence, EvidenceSource } from './evidence.js';
export { MEDICAL_ABBREVIATIONS, QueryNormalizer, type QueryNormalizerOptions } from '../analysis/index.js';
export {
  LocalRetrieval,
  DEFAULT_VECTOR_WEIGHT,
  type LocalFusion,
  type LocalRetriever,
  type LocalRetrievalOptions,
  type LocalRetrievalResult,
  type LocalRetrieveRequest,
  type LocalSource,
  type VectorSearcher,
  type VectorSearchResult,
} from './local-retrieval.js';
export {
  MAX_HITS,
  RetrievalPipeline,
  WIKIPEDIA_LIVE_SOURCE,
  type RetrievalTimings,
  type RetrievalPipelineOptions,
  type RetrievalPipelineParts,
  type RetrievalResult,
  type RetrieveRequest,
} from './retrieval-pipeline.js';
