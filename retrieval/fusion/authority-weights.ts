import type { Authority } from '../../knowledge/index.js';

/**
 * What a passage's lexical score is multiplied by in local score fusion, by its source's authority:
 * a dialogue must match a question twice as well as a reference to rank above it, an encyclopedia
 * a quarter better. Kept deliberately simple: a learned ranker may weigh `authority` itself.
 */
export const AUTHORITY_WEIGHTS: Readonly<Record<Authority, number>> = {
  reference: 1,
  literature: 1,
  encyclopedia: 0.8,
  dialogue: 0.5,
};

/** The multiplier of a passage of this authority (1 for a level without one). */
export function authorityWeight(authority: Authority): number {
  return AUTHORITY_WEIGHTS[authority] ?? 1;
}
