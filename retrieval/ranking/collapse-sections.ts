/** What collapsing reads of a hit. */
export interface CollapsibleHit {
  source: string;
  externalId: string;
  /** Section heading or question: an abstract's sections share one citation id. */
  section: string;
  score: number;
  /** Store row of a local chunk; live passages (none) are never collapsed. */
  chunkId?: number;
}

/**
 * One hit per passage: chunks of the same section (same source, citation id and section) are collapsed
 * into the best-scoring one, which keeps its place; live passages without a chunk pass through.
 * Order otherwise kept.
 *
 * @example
 * collapseSections([{ externalId: 'GHR_1_Sec2', score: 3, … }, { externalId: 'GHR_1_Sec2', score: 2, … }]) // → the first only
 */
export function collapseSections<T extends CollapsibleHit>(hits: readonly T[]): T[] {
  const best = new Map<string, T>();
  for (const hit of hits) {
    if (hit.chunkId === undefined) continue;
    const key = keyOf(hit);
    const kept = best.get(key);
    if (!kept || hit.score > kept.score) best.set(key, hit);
  }
  return hits.filter((hit) => hit.chunkId === undefined || best.get(keyOf(hit)) === hit);
}

function keyOf(hit: CollapsibleHit): string {
  return `${hit.source}\u0000${hit.externalId}\u0000${hit.section}`;
}
