import { EvaluationError } from './errors.js';
import type { EvalSet, EvalSplit } from './eval-set.js';
import { meanMetrics, scoreRanking, type QuestionMetrics, type SetMetrics } from './metrics.js';

/** One way of retrieving to compare (BM25 alone, vectors alone, fused…). */
export interface RetrievalRun {
  name: string;
  /** The citation ids (`externalId`s) of the hits for a question, best first. */
  retrieve(question: string): Promise<readonly string[]>;
}

/** Options of {@link evaluateRetrieval}. */
export interface EvaluateOptions {
  /** Cut-offs of recall@k. Default `[1, 5, 10, 50]`. */
  recallAt?: readonly number[];
  /** Evaluate only the first `limit` questions. Default all. */
  limit?: number;
  /** Only the questions of this split (sets without splits have none). Default all questions. */
  split?: EvalSplit;
  /** Called after each question of each run. */
  onProgress?: (progress: { run: string; done: number; total: number }) => void;
}

/** A run's result on a set. */
export interface RunResult extends SetMetrics {
  name: string;
  /** Mean and 99th-percentile time of one retrieval, ms. */
  meanMs: number;
  p99Ms: number;
  /** Questions whose retrieval threw (scored as finding nothing). */
  failures: number;
}

export interface EvaluationReport {
  set: string;
  /** The split evaluated, when one was asked. */
  split?: EvalSplit;
  questions: number;
  recallAt: number[];
  runs: RunResult[];
}

/**
 * Scores retrieval runs on an evaluation set: for each run and question, the hits' citation ids are
 * compared with the question's relevant ids and grades (recall@k, MRR@10, nDCG@10, P@5, graded
 * top-1; see `scoreRanking`). A run
 * that throws for a question scores zero for it and is counted in `failures`, so one bad question
 * never ends an evaluation.
 *
 * @example
 * const report = await evaluateRetrieval(set, [
 *   { name: 'bm25', retrieve: async (q) => (await pipeline.retrieve(q, { k: 50, sources: ['corpus'] })).hits.map((h) => h.externalId) },
 * ]);
 * report.runs[0].mrr10 // → 0.955
 */
export async function evaluateRetrieval(
  set: EvalSet,
  runs: readonly RetrievalRun[],
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const recallAt = [...(options.recallAt ?? [1, 5, 10, 50])].sort((a, b) => a - b);
  if (recallAt.length === 0 || !recallAt.every((k) => Number.isInteger(k) && k >= 1 && k <= 100)) {
    throw new EvaluationError('INVALID_OPTIONS', `recall cut-offs must be whole numbers from 1 to 100, got ${recallAt.join(', ')}.`);
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) {
    throw new EvaluationError('INVALID_OPTIONS', `limit must be a whole number ≥ 1, got ${options.limit}.`);
  }
  const inSplit = options.split ? set.questions.filter((q) => q.split === options.split) : set.questions;
  const questions = inSplit.slice(0, options.limit ?? inSplit.length);
  const results: RunResult[] = [];
  for (const run of runs) {
    const scored: QuestionMetrics[] = [];
    const times: number[] = [];
    let failures = 0;
    for (const [i, q] of questions.entries()) {
      const started = performance.now();
      let ranked: readonly string[] = [];
      try {
        ranked = await run.retrieve(q.question);
      } catch {
        failures++;
      }
      times.push(performance.now() - started);
      scored.push(scoreRanking(ranked, q.relevant, recallAt, q.grades));
      options.onProgress?.({ run: run.name, done: i + 1, total: questions.length });
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((s, t) => s + t, 0) / (times.length || 1);
    results.push({
      name: run.name,
      ...meanMetrics(scored, recallAt),
      meanMs: mean,
      p99Ms: times.length ? times[Math.min(times.length - 1, Math.ceil(0.99 * times.length) - 1)]! : 0,
      failures,
    });
  }
  return { set: set.name, ...(options.split ? { split: options.split } : {}), questions: questions.length, recallAt, runs: results };
}
