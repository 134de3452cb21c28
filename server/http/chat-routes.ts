import { Router } from 'express';
import type { EvidenceSource } from '../../retrieval/pipeline/index.js';
import type { AnswerRequest, PatientContext } from '../answer/index.js';
import type { AppContext } from './app-context.js';
import { streamAnswer } from './answer-stream.js';
import { recordAnswer } from './answer-telemetry.js';
import { requestSignal } from './client-abort.js';
import { patientOf } from './patient-input.js';
import { assertReady } from './readiness.js';
import { ChatRequestSchema, type ChatRequest } from './request-schemas.js';
import { validateBody } from './validate-body.js';

/**
 * `POST /v1/chat`: `{messages, stream?, options?}` → `{answer, mode, citations, triage, usage,
 * timings, …}`; with `stream: true`, Server-Sent Events `citations` (the numbered passages the
 * answer may cite, and the triage), `delta` (`{text}`) and `done` (the whole answer), or `error`.
 *
 * @example
 * app.use(chatRoutes(ctx));
 */
export function chatRoutes(ctx: AppContext): Router {
  const router = Router();
  router.post('/v1/chat', async (req, res) => {
    const body = validateBody(ChatRequestSchema, req.body);
    assertReady(ctx);
    const signal = requestSignal(res);
    const request = toAnswerRequest(body, signal, await patientOf(ctx, body.options.patient, signal));
    if (!body.stream) {
      const answer = await ctx.answers.answer(request);
      recordAnswer(ctx, res, request, answer);
      res.json(answer);
      return;
    }
    await streamAnswer(
      res,
      ctx.answers.stream(request),
      (event) => {
        if (event.type === 'done') recordAnswer(ctx, res, request, event.answer);
        return [
          {
            event: event.type,
            data: event.type === 'done' ? event.answer : event.type === 'delta' ? { text: event.text } : withoutType(event),
          },
        ];
      },
      (error) => ({ event: 'error', data: { error } }),
      ctx.logger,
    );
  });
  return router;
}

function toAnswerRequest(body: ChatRequest, signal: AbortSignal, patient: PatientContext | undefined): AnswerRequest {
  const o = body.options;
  return {
    messages: body.messages,
    signal,
    ...(o.k !== undefined ? { k: o.k } : {}),
    ...(o.sources ? { sources: o.sources as EvidenceSource[] } : {}),
    ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}),
    ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
    ...(o.topP !== undefined ? { topP: o.topP } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.stop ? { stop: o.stop } : {}),
    ...(patient ? { patient } : {}),
  };
}

function withoutType<T extends { type: string }>(event: T): Omit<T, 'type'> {
  const { type: _type, ...rest } = event;
  return rest;
}
