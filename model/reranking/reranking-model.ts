/**
 * A reranking model: scores how well each passage answers a query, reading both together (a
 * cross-encoder), so it can reorder a retriever's candidates. Shaped like the Vercel AI SDK's
 * reranking models: an `id` and one batch call.
 *
 * @example
 * const scores = await reranker.score('what causes gout?', passages.map((p) => p.text));
 * const reordered = passages.map((p, i) => ({ p, s: scores[i]! })).sort((a, b) => b.s - a.s);
 */
export interface RerankingModel {
  /** Names the model (e.g. its directory's name and content hash). */
  readonly id: string;
  /**
   * One relevance score per passage, in order; higher is more relevant. Scores are comparable
   * within one call only. Never throws for any string content; an empty list gives an empty list.
   */
  score(query: string, passages: readonly string[], options?: { signal?: AbortSignal }): Promise<number[]>;
}
