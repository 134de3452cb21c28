import type { Response } from 'express';
import type { RetrievalResult } from '../../retrieval/pipeline/index.js';
import { describePatient, type Answer, type AnswerRequest } from '../answer/index.js';
import type { AppContext } from './app-context.js';

/**
 * Tells the audit log and the metrics about one answer: triage level, the sources cited, the
 * question and patient (written only when the operator turned question auditing on, redacted),
 * each retriever's time and the tokens generated.
 *
 * @example
 * recordAnswer(ctx, res, request, answer);
 */
export function recordAnswer(ctx: AppContext, res: Response, request: AnswerRequest, answer: Answer): void {
  const patient = describePatient(request.patient);
  res.locals.audit = {
    triageLevel: answer.triage.level,
    sources: [...new Set(answer.citations.map((c) => c.source))],
    question: request.messages.at(-1)?.content ?? '',
    ...(patient ? { patient } : {}),
  };
  recordRetrieval(ctx, answer.timings.retrieval);
  // Extractive answers' usage is an estimate of quoted text, not tokens a model generated.
  if (answer.mode === 'generative' && answer.usage.completionTokens > 0) ctx.metrics.tokensGenerated.inc(answer.usage.completionTokens);
}

/**
 * Records each retriever's time for one question in the retrieval histogram.
 *
 * @example
 * recordRetrieval(ctx, result.timings);
 */
export function recordRetrieval(ctx: AppContext, timings: RetrievalResult['timings']): void {
  for (const [retriever, ms] of Object.entries(timings)) {
    if (retriever !== 'total' && typeof ms === 'number') ctx.metrics.observeRetrieval(retriever, ms);
  }
}
