/** Ranking quality of one question's hits. */
export interface QuestionMetrics {
  /** Share of the relevant ids found in the top k, for each k asked. */
  recall: Record<number, number>;
  /** 1 / rank of the first relevant hit in the top 10, or 0. */
  mrr10: number;
  /** nDCG of the top 10: gain grade − 1 for graded questions, 1 per relevant id otherwise (each id gains once, at its best rank). */
  ndcg10: number;
  /** Share of the top 5 that is relevant. */
  precision5: number;
  /** Graded score of the first hit: its grade − 1 (0–3; unjudged 0; a relevant id of an ungraded question 3). */
  top1: number;
  /** Rank (1-based) of the first relevant hit, or `null` when none was returned. */
  firstRelevantRank: number | null;
}

/** The grade an id of an ungraded question's `relevant` list has: excellent. */
const RELEVANT_GRADE = 4;

/**
 * Scores a ranked list of citation ids against the relevant ones (and, for a graded question, the
 * grades of judged ids: 4 excellent … 1 incorrect; unjudged count as 1). Repeats of an id (the
 * chunks of one abstract) count at their first rank only and take no rank away from later ids, so
 * splitting a document into more chunks neither helps nor hurts it.
 *
 * @example
 * scoreRanking(['PMID_1', 'PMID_2', 'PMID_1'], ['PMID_2'], [1, 10]) // → { recall: { 1: 0, 10: 1 }, mrr10: 0.5, ndcg10: 0.63…, precision5: 0.2, top1: 0, firstRelevantRank: 2 }
 */
export function scoreRanking(
  ranked: readonly string[],
  relevant: readonly string[],
  recallAt: readonly number[],
  grades?: Readonly<Record<string, number>>,
): QuestionMetrics {
  const wanted = new Set(relevant);
  const gradeOf = (id: string) => grades?.[id] ?? (wanted.has(id) ? RELEVANT_GRADE : 1);
  const seen = new Set<string>();
  const relevantRanks: number[] = [];
  let dcg = 0;
  let top1 = 0;
  let inTop5 = 0;
  let rank = 0;
  for (const id of ranked) {
    if (seen.has(id)) continue;
    seen.add(id);
    rank++;
    const gain = gradeOf(id) - 1;
    if (rank === 1) top1 = gain;
    if (rank <= 10) dcg += gain / Math.log2(rank + 1);
    if (wanted.has(id)) {
      relevantRanks.push(rank);
      if (rank <= 5) inTop5++;
    }
  }
  const recall: Record<number, number> = {};
  for (const k of recallAt) recall[k] = wanted.size ? relevantRanks.filter((r) => r <= k).length / wanted.size : 0;
  const first = relevantRanks[0] ?? null;
  const gains = (grades ? Object.values(grades) : [...wanted].map(() => RELEVANT_GRADE)).map((g) => g - 1).filter((g) => g > 0);
  for (const id of wanted) if (grades && !(id in grades)) gains.push(RELEVANT_GRADE - 1);
  gains.sort((a, b) => b - a);
  let ideal = 0;
  gains.slice(0, 10).forEach((g, i) => {
    ideal += g / Math.log2(i + 2);
  });
  return {
    recall,
    mrr10: first !== null && first <= 10 ? 1 / first : 0,
    ndcg10: ideal ? dcg / ideal : 0,
    precision5: inTop5 / 5,
    top1,
    firstRelevantRank: first,
  };
}

/** Means of {@link QuestionMetrics} over a set. */
export interface SetMetrics {
  questions: number;
  recall: Record<number, number>;
  mrr10: number;
  ndcg10: number;
  precision5: number;
  top1: number;
}

/**
 * Averages per-question metrics (empty input gives zeros).
 *
 * @example
 * meanMetrics(questions.map((q) => scoreRanking(ranked(q), q.relevant, [10])), [10]) // → { questions: 500, recall: { 10: 0.99 }, mrr10: 0.955, … }
 */
export function meanMetrics(all: readonly QuestionMetrics[], recallAt: readonly number[]): SetMetrics {
  const n = all.length || 1;
  const mean = (f: (m: QuestionMetrics) => number) => all.reduce((s, m) => s + f(m), 0) / n;
  const recall: Record<number, number> = {};
  for (const k of recallAt) recall[k] = mean((m) => m.recall[k] ?? 0);
  return {
    questions: all.length,
    recall,
    mrr10: mean((m) => m.mrr10),
    ndcg10: mean((m) => m.ndcg10),
    precision5: mean((m) => m.precision5),
    top1: mean((m) => m.top1),
  };
}
