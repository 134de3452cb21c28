import type { EvidenceSource } from '../../retrieval/pipeline/index.js';
import type { Answer, AnswerRequest } from '../answer/index.js';
import type { AnswerEvalQuestion, AnswerEvalSet } from './answer-sets.js';

/** What answers the questions: an `AnswerPipeline`. */
export interface Answerer {
  answer(request: AnswerRequest): Promise<Answer>;
}

/** Options of {@link evaluateAnswers}. */
export interface AnswerEvalOptions {
  /** Retrievers the answers use. Default: the answerer's own. */
  sources?: readonly EvidenceSource[];
  /** Only questions of this split (questions without one are always kept). Default: all. */
  split?: 'dev' | 'heldout';
  /** Only the first n questions of each set. Default: all. */
  limit?: number;
  /** Called after each question. */
  onProgress?: (done: number, total: number) => void;
}

/** How answers did on one set's questions. */
export interface AnswerSetReport {
  set: string;
  split?: 'dev' | 'heldout';
  /** Answerable questions, and the shares of them whose answer cited at least one relevant passage, cited only others, or abstained. */
  answerable: { questions: number; citesRelevant: number; citesOnlyWrong: number; abstained: number };
  /** Unanswerable questions, and the share of them that abstained. */
  unanswerable: { questions: number; abstained: number };
  /** Median and 95th-percentile milliseconds per answer. */
  latencyMs: { p50: number; p95: number };
}

/** The report of {@link evaluateAnswers}: per set, and abstention over all of them together. */
export interface AnswerEvalReport {
  sets: AnswerSetReport[];
  /**
   * Abstention as a detector of unanswerable questions, over every question evaluated: precision
   * (abstentions that were on unanswerable questions) and recall (unanswerable questions abstained on).
   */
  abstention: { precision: number; recall: number; answerableAbstained: number; unanswerableAbstained: number };
}

interface Outcome {
  question: AnswerEvalQuestion;
  abstained: boolean;
  citesRelevant: boolean;
  cites: boolean;
  ms: number;
}

/**
 * Asks every question of the sets (one at a time, as a single-turn chat) and judges each answer:
 * an answerable question's answer should cite a passage listed as relevant, and never only others;
 * an unanswerable one's should abstain (`answer.abstained`, no citations).
 *
 * @example
 * const report = await evaluateAnswers(pipeline, [await loadAnswerSet(UNANSWERABLE_SET)], { sources: ['corpus'] });
 * report.abstention.recall; // share of unanswerable questions Galen abstained on
 */
export async function evaluateAnswers(
  answerer: Answerer,
  sets: readonly AnswerEvalSet[],
  options: AnswerEvalOptions = {},
): Promise<AnswerEvalReport> {
  const chosen = sets.map((set) => ({
    set,
    questions: set.questions.filter((q) => !options.split || !q.split || q.split === options.split).slice(0, options.limit),
  }));
  const total = chosen.reduce((n, c) => n + c.questions.length, 0);
  let done = 0;
  const all: Outcome[] = [];
  const reports: AnswerSetReport[] = [];
  for (const { set, questions } of chosen) {
    const outcomes: Outcome[] = [];
    for (const question of questions) {
      const started = performance.now();
      const answer = await answerer.answer({
        messages: [{ role: 'user', content: question.question }],
        ...(options.sources ? { sources: options.sources } : {}),
      });
      const relevant = new Set(question.relevant);
      outcomes.push({
        question,
        abstained: answer.abstained,
        citesRelevant: answer.citations.some((c) => relevant.has(c.externalId)),
        cites: answer.citations.length > 0,
        ms: performance.now() - started,
      });
      options.onProgress?.(++done, total);
    }
    all.push(...outcomes);
    reports.push(setReport(set.name, outcomes, questions.some((q) => q.split) ? options.split : undefined));
  }
  const abstained = all.filter((o) => o.abstained);
  const unanswerable = all.filter((o) => !o.question.answerable);
  const answerable = all.filter((o) => o.question.answerable);
  return {
    sets: reports,
    abstention: {
      precision: share(abstained.filter((o) => !o.question.answerable).length, abstained.length),
      recall: share(unanswerable.filter((o) => o.abstained).length, unanswerable.length),
      answerableAbstained: share(answerable.filter((o) => o.abstained).length, answerable.length),
      unanswerableAbstained: share(unanswerable.filter((o) => o.abstained).length, unanswerable.length),
    },
  };
}

function setReport(name: string, outcomes: readonly Outcome[], split?: 'dev' | 'heldout'): AnswerSetReport {
  const answerable = outcomes.filter((o) => o.question.answerable);
  const unanswerable = outcomes.filter((o) => !o.question.answerable);
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  return {
    set: name,
    ...(split ? { split } : {}),
    answerable: {
      questions: answerable.length,
      citesRelevant: share(answerable.filter((o) => o.citesRelevant).length, answerable.length),
      citesOnlyWrong: share(answerable.filter((o) => o.cites && !o.citesRelevant).length, answerable.length),
      abstained: share(answerable.filter((o) => o.abstained).length, answerable.length),
    },
    unanswerable: { questions: unanswerable.length, abstained: share(unanswerable.filter((o) => o.abstained).length, unanswerable.length) },
    latencyMs: { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95) },
  };
}

function share(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1000) / 1000;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;
}
