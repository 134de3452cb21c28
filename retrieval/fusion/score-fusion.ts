import type { FusedHit, Provenance } from './reciprocal-rank-fusion.js';

/** One retriever's scored answer, best first, for {@link scoreFusion}. */
export interface ScoredList<T> {
  /** Retriever name, reported in each fused hit's provenance. */
  retriever: string;
  /** Multiplies this list's normalised scores. Default 1. */
  weight?: number;
  /** Multiplies one hit's normalised score besides `weight` (e.g. by its source's authority). Default 1. */
  weightOf?: (hit: T) => number;
  hits: readonly T[];
  /** The retriever's own score of a hit; higher is better. */
  scoreOf: (hit: T) => number;
  /**
   * How scores are put on a common scale: `max` divides by the list's best score (BM25, whose
   * scale depends on the query's terms); `{ mean, sd }` standardises them (`(s − mean) / sd`, e.g.
   * cosine similarities standardised over another list's candidates, so only how much better than
   * its neighbours the retriever finds an item counts); `none` keeps them. Default `none`.
   */
  normalize?: 'max' | 'none' | { mean: number; sd: number };
  /**
   * This retriever's scores of items it did not return, by key (candidates of an earlier list it was
   * asked to re-score). They count in the sum like its own hits, but add no provenance: the
   * retriever did not find those items. Normalised like the hits. Default none.
   */
  rescored?: ReadonlyMap<string, number>;
}

/**
 * Score-level fusion: each item scores `Σ weight · normalised score` over the lists that hold it
 * (0 from a list that does not), so a strong retriever's margins survive, and a weak one only moves
 * items its scores separate clearly. Rank fusion cannot do that: with RRF any rank of a list
 * outweighs the gap between neighbouring ranks of another. Items keep every list's provenance.
 * Ties keep first-seen order.
 *
 * @example
 * scoreFusion([
 *   { retriever: 'corpus', hits: bm25Hits, scoreOf: (h) => h.score, normalize: 'max' },
 *   { retriever: 'vector', hits: vectorHits, scoreOf: (h) => h.score, weight: 0.05 },
 * ], { keyOf: (h) => h.key });
 */
export function scoreFusion<T>(lists: readonly ScoredList<T>[], options: { keyOf: (item: T) => string }): FusedHit<T>[] {
  const fused = new Map<string, FusedHit<T>>();
  for (const list of lists) {
    const weight = list.weight ?? 1;
    const top = list.hits.length ? list.scoreOf(list.hits[0]!) : 0;
    const n = list.hits.length;
    const scale = (raw: number, index: number | null): number => {
      const how = list.normalize ?? 'none';
      // A list whose best score is not positive cannot be scaled by it: its ranks stand in.
      if (how === 'max') return top > 0 ? raw / top : index === null ? 0 : (n - index) / n;
      if (how === 'none') return raw;
      return how.sd > 0 ? (raw - how.mean) / how.sd : 0;
    };
    list.hits.forEach((item, index) => {
      const raw = list.scoreOf(item);
      const normalised = scale(raw, index);
      const key = options.keyOf(item);
      let hit = fused.get(key);
      if (!hit) {
        hit = { item, score: 0, retrievers: [] };
        fused.set(key, hit);
      }
      if (hit.retrievers.some((p) => p.retriever === list.retriever)) return;
      hit.score += weight * (list.weightOf?.(item) ?? 1) * (Number.isFinite(normalised) ? normalised : 0);
      const provenance: Provenance = { retriever: list.retriever, rank: index + 1, score: raw };
      hit.retrievers.push(provenance);
    });
    for (const [key, raw] of list.rescored ?? []) {
      const hit = fused.get(key);
      if (!hit || hit.retrievers.some((p) => p.retriever === list.retriever)) continue;
      const normalised = scale(raw, null);
      hit.score += weight * (Number.isFinite(normalised) ? normalised : 0);
    }
  }
  // A Map iterates in insertion order and sort is stable: ties keep first-seen order.
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
