import { AUTHORITY_LEVELS, type Authority } from '../../knowledge/index.js';
import type { Evidence } from '../../retrieval/pipeline/index.js';

/** How far a source can be trusted as the main evidence of an answer (the knowledge base's levels). */
export type SourceAuthority = Authority;

/**
 * The authority level of a passage: its source's level (set at ingest; live Wikipedia is an
 * encyclopedia).
 *
 * @example
 * authorityOf({ authority: 'dialogue', … }) // → 'dialogue'
 */
export function authorityOf(evidence: Pick<Evidence, 'authority'>): SourceAuthority {
  return evidence.authority;
}

/** A number that orders authority levels, higher first: reference 3, literature 2, encyclopedia 1, dialogue 0. */
export function authorityRank(authority: SourceAuthority): number {
  const at = AUTHORITY_LEVELS.indexOf(authority);
  return at < 0 ? 0 : AUTHORITY_LEVELS.length - 1 - at;
}
