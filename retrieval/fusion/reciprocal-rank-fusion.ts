/** One retriever's ranked answer, best first. */
export interface RankedList<T> {
  /** Retriever name, reported in each fused hit's provenance (e.g. `corpus`, `vector`, `wikipedia`). */
  retriever: string;
  /** Weight of this list in the fusion. Default 1. */
  weight?: number;
  hits: readonly T[];
  /** The retriever's own score of each hit, kept for provenance (optional). */
  scoreOf?: (hit: T) => number;
}

/** Where a fused hit was found. `rank` is 1-based. */
export interface Provenance {
  retriever: string;
  rank: number;
  score?: number;
}

export interface FusedHit<T> {
  item: T;
  /** Weighted reciprocal-rank score: Σ weight / (k + rank). */
  score: number;
  retrievers: Provenance[];
}

export interface FusionOptions<T> {
  /** Identity of an item across lists (the same chunk found by two retrievers). */
  keyOf: (item: T) => string;
  /** RRF damping constant. Default 60 (Cormack et al., 2009; MedRAG uses the same). */
  k?: number;
}

/**
 * Weighted reciprocal rank fusion: each list contributes `weight / (k + rank)` to every item it
 * ranks, so agreement between retrievers lifts an item while no retriever's raw score scale
 * matters. Items keep the provenance of every list that found them. Ties keep first-seen order.
 *
 * @example
 * reciprocalRankFusion([{ retriever: 'corpus', hits: ['a', 'b'] }, { retriever: 'vector', hits: ['b'] }], { keyOf: (x) => x })
 * // → [{ item: 'b', … retrievers: [corpus #2, vector #1] }, { item: 'a', … }]
 */
export function reciprocalRankFusion<T>(lists: readonly RankedList<T>[], options: FusionOptions<T>): FusedHit<T>[] {
  const k = options.k ?? 60;
  const fused = new Map<string, FusedHit<T>>();
  for (const list of lists) {
    const weight = list.weight ?? 1;
    list.hits.forEach((item, index) => {
      const key = options.keyOf(item);
      let hit = fused.get(key);
      if (!hit) {
        hit = { item, score: 0, retrievers: [] };
        fused.set(key, hit);
      }
      // A retriever that returns the same item twice counts it once, at its best rank.
      if (hit.retrievers.some((p) => p.retriever === list.retriever)) return;
      hit.score += weight / (k + index + 1);
      const provenance: Provenance = { retriever: list.retriever, rank: index + 1 };
      if (list.scoreOf) provenance.score = list.scoreOf(item);
      hit.retrievers.push(provenance);
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
