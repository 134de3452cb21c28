/**
 * Reranking: the {@link RerankingModel} contract a retrieval pipeline uses to reorder candidates.
 * Imports nothing from the rest of Galen.
 */
export type { RerankingModel } from './reranking-model.js';
