export { reciprocalRankFusion, type FusedHit, type FusionOptions, type Provenance, type RankedList } from './reciprocal-rank-fusion.js';
export { removeNearDuplicates, type NearDuplicateOptions } from './near-duplicates.js';
export { applySourceQuotas } from './source-quotas.js';
export { scoreFusion, type ScoredList } from './score-fusion.js';
export { AUTHORITY_WEIGHTS, authorityWeight } from './authority-weights.js';
