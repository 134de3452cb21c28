/** Ranking quality of one question's hits. */
export interface QuestionMetrics {
  /** Share of the relevant ids found in the top k, for each k asked. */
  recall: Record<number, number>;
  /** 1 / rank of the first relevant hit in the top 10, or 0. */
  mrr10: number;
  /** Binary-relevance nDCG of the top 10 (each relevant id gains once, at its best rank). */
  ndcg10: number;
  /** Rank (1-based) of the first relevant hit, or `null` when none was returned. */
  firstRelevantRank: number | null;
}

/**
 * Scores a ranked list of citation ids against the relevant ones. Repeats of an id (the chunks of
 * one abstract) count at their first rank only and take no rank away from later ids, so splitting
 * a document into more chunks neither helps nor hurts it.
 *
 * @example
 * scoreRanking(['PMID_1', 'PMID_2', 'PMID_1'], ['PMID_2'], [1, 10]) // → { recall: { 1: 0, 10: 1 }, mrr10: 0.5, ndcg10: 0.63…, firstRelevantRank: 2 }
 */
export function scoreRanking(ranked: readonly string[], relevant: readonly string[], recallAt: readonly number[]): QuestionMetrics {
  const wanted = new Set(relevant);
  const seen = new Set<string>();
  const relevantRanks: number[] = [];
  let rank = 0;
  for (const id of ranked) {
    if (seen.has(id)) continue;
    seen.add(id);
    rank++;
    if (wanted.has(id)) relevantRanks.push(rank);
  }
  const recall: Record<number, number> = {};
  for (const k of recallAt) recall[k] = wanted.size ? relevantRanks.filter((r) => r <= k).length / wanted.size : 0;
  const first = relevantRanks[0] ?? null;
  let dcg = 0;
  for (const r of relevantRanks) if (r <= 10) dcg += 1 / Math.log2(r + 1);
  let ideal = 0;
  for (let r = 1; r <= Math.min(10, wanted.size); r++) ideal += 1 / Math.log2(r + 1);
  return { recall, mrr10: first !== null && first <= 10 ? 1 / first : 0, ndcg10: ideal ? dcg / ideal : 0, firstRelevantRank: first };
}

/** Means of {@link QuestionMetrics} over a set. */
export interface SetMetrics {
  questions: number;
  recall: Record<number, number>;
  mrr10: number;
  ndcg10: number;
}

/**
 * Averages per-question metrics (empty input gives zeros).
 *
 * @example
 * meanMetrics(questions.map((q) => scoreRanking(ranked(q), q.relevant, [10])), [10]) // → { questions: 500, recall: { 10: 0.99 }, mrr10: 0.955, ndcg10: 0.964 }
 */
export function meanMetrics(all: readonly QuestionMetrics[], recallAt: readonly number[]): SetMetrics {
  const n = all.length || 1;
  const recall: Record<number, number> = {};
  for (const k of recallAt) recall[k] = all.reduce((s, m) => s + (m.recall[k] ?? 0), 0) / n;
  return {
    questions: all.length,
    recall,
    mrr10: all.reduce((s, m) => s + m.mrr10, 0) / n,
    ndcg10: all.reduce((s, m) => s + m.ndcg10, 0) / n,
  };
}
