import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { ChatMessage } from '../../model/index.js';
import type { EvidenceSource } from '../../retrieval/pipeline/index.js';
import { GALEN_MODEL_ID, type Answer, type AnswerEvent, type AnswerRequest, type PatientContext } from '../answer/index.js';
import type { AppContext } from './app-context.js';
import type { ApiError } from './api-error.js';
import { streamAnswer } from './answer-stream.js';
import { recordAnswer } from './answer-telemetry.js';
import { requestSignal } from './client-abort.js';
import { patientOf } from './patient-input.js';
import { assertReady } from './readiness.js';
import { answerMetaRequest, metaRequestKind, type MetaRequestKind } from './client-meta-requests.js';
import { assistantTurnForHistory } from './conversation-history.js';
import { InvalidParameterError, UnknownModelError, UnsupportedParameterError } from './openai-errors.js';
import { ChatCompletionRequestSchema, MAX_MESSAGE_CHARS, type ChatCompletionRequest } from './request-schemas.js';
import { estimateTokens } from '../answer/index.js';

// The model list's creation time: the moment this server started.
const STARTED = Math.floor(Date.now() / 1000);

/**
 * OpenAI-compatible routes, so the official `openai` client, LangChain or Open WebUI use Galen
 * unchanged: `GET /v1/models`, `GET /v1/models/:id` and `POST /v1/chat/completions` (JSON, or
 * OpenAI's SSE chunks ending in `data: [DONE]` with `stream: true`). Citations travel in an extra
 * `citations` field (the response, and the first and last chunks), Galen's answer mode, triage and
 * timings in `galen`.
 *
 * @example
 * const client = new OpenAI({ baseURL: 'http://127.0.0.1:8080/v1', apiKey: 'unused' });
 * await client.chat.completions.create({ model: 'galen', messages: [{ role: 'user', content: 'What causes gout?' }] });
 */
export function openAiRoutes(ctx: AppContext): Router {
  const router = Router();
  const model = () => ({ id: GALEN_MODEL_ID, object: 'model', created: STARTED, owned_by: 'galen', galen: ctx.answers.model });

  router.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: [model()] });
  });

  router.get('/v1/models/:id', (req, res) => {
    if (req.params.id !== GALEN_MODEL_ID) throw unknownModel(req.params.id);
    res.json(model());
  });

  router.post('/v1/chat/completions', async (req, res) => {
    refuseUnsupported(req.body);
    const body = parseCompletionRequest(req.body);
    if (body.model !== GALEN_MODEL_ID) throw unknownModel(body.model);
    const signal = requestSignal(res);
    const request = toAnswerRequest(body, signal, await patientOf(ctx, body.galen?.patient, signal));
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const question = request.messages.at(-1)!.content;
    const meta = metaRequestKind(question);
    if (meta) {
      answerMeta(res, {
        id,
        created,
        kind: meta,
        question,
        request,
        stream: Boolean(body.stream),
        includeUsage: Boolean(body.stream_options?.include_usage),
      });
      return;
    }
    assertReady(ctx);
    if (!body.stream) {
      const answer = await ctx.answers.answer(request);
      recordAnswer(ctx, res, request, answer);
      res.json({
        id,
        object: 'chat.completion',
        created,
        model: GALEN_MODEL_ID,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: answer.answer, refusal: null },
            logprobs: null,
            finish_reason: finishReason(answer),
          },
        ],
        usage: usage(answer),
        citations: answer.citations,
        galen: galenExtras(answer),
      });
      return;
    }
    const chunk = (delta: object, finish: string | null, extra: object = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: GALEN_MODEL_ID,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...extra,
    });
    let final: Answer | undefined;
    await streamAnswer(
      res,
      ctx.answers.stream(request),
      (event: AnswerEvent) => {
        if (event.type === 'citations')
          return [
            {
              data: chunk({ role: 'assistant', content: '' }, null, {
                citations: event.citations,
                galen: { mode: event.mode, triage: event.triage },
              }),
            },
          ];
        if (event.type === 'delta') return [{ data: chunk({ content: event.text }, null) }];
        final = event.answer;
        recordAnswer(ctx, res, request, event.answer);
        return [{ data: chunk({}, finishReason(event.answer), { citations: event.answer.citations, galen: galenExtras(event.answer) }) }];
      },
      (error) => ({ data: { error: { ...error, type: 'server_error', param: null } } }),
      ctx.logger,
      async (sse) => {
        if (final && body.stream_options?.include_usage)
          await sse.send({ id, object: 'chat.completion.chunk', created, model: GALEN_MODEL_ID, choices: [], usage: usage(final) });
        await sse.send('[DONE]');
      },
    );
  });
  return router;
}

// Fields that change what an answer means; silently ignoring them would mislead the client.
const UNSUPPORTED: ReadonlyArray<[string, (value: unknown) => boolean, string]> = [
  ['tools', (v) => Array.isArray(v) && v.length > 0, 'Galen does not call tools.'],
  ['functions', (v) => Array.isArray(v) && v.length > 0, 'Galen does not call functions.'],
  ['tool_choice', (v) => v !== 'none' && v !== 'auto', 'Galen does not call tools.'],
  ['function_call', (v) => v !== 'none' && v !== 'auto', 'Galen does not call functions.'],
  [
    'response_format',
    (v) => typeof v === 'object' && v !== null && (v as { type?: unknown }).type !== 'text',
    'Galen answers in text with citations, not JSON (response_format must be {"type":"text"}).',
  ],
  ['n', (v) => typeof v === 'number' && v !== 1, 'Galen writes one choice (n must be 1).'],
  ['logprobs', (v) => v === true, 'Galen does not return log probabilities.'],
  ['top_logprobs', (v) => typeof v === 'number' && v > 0, 'Galen does not return log probabilities.'],
  ['audio', (v) => typeof v === 'object' && v !== null, 'Galen answers in text only.'],
  ['modalities', (v) => Array.isArray(v) && v.some((m) => m !== 'text'), 'Galen answers in text only.'],
];

/** A 400 with `param` for the first field Galen would otherwise have to ignore. */
function refuseUnsupported(body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  for (const [param, unsupported, why] of UNSUPPORTED) {
    const value = (body as Record<string, unknown>)[param];
    if (value !== undefined && value !== null && unsupported(value)) throw new UnsupportedParameterError(param, `${param}: ${why}`);
  }
}

/** The body, checked, with the first bad field named in `param`. */
function parseCompletionRequest(raw: unknown): ChatCompletionRequest {
  const parsed = ChatCompletionRequestSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.map(String).join('.');
  throw new InvalidParameterError(param || 'body', `${param || 'body'}: ${issue.message}`);
}

interface MetaReply {
  id: string;
  created: number;
  kind: MetaRequestKind;
  question: string;
  request: AnswerRequest;
  stream: boolean;
  includeUsage: boolean;
}

/** A client's housekeeping prompt (a chat title, tags, follow-ups) answered briefly, without retrieval. */
function answerMeta(res: import('express').Response, reply: MetaReply): void {
  const content = answerMetaRequest(reply.kind, reply.question);
  const promptTokens = estimateTokens(reply.request.messages.map((m) => m.content).join('\n'));
  const completionTokens = estimateTokens(content);
  const used = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const galen = { mode: 'meta', metaRequest: reply.kind };
  const base = { id: reply.id, created: reply.created, model: GALEN_MODEL_ID };
  if (!reply.stream) {
    res.json({
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: used,
      citations: [],
      galen,
    });
    return;
  }
  const chunk = (delta: object, finish: string | null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  const frames: unknown[] = [
    chunk({ role: 'assistant', content: '' }, null),
    chunk({ content }, null),
    { ...chunk({}, 'stop'), citations: [], galen },
  ];
  if (reply.includeUsage) frames.push({ ...base, object: 'chat.completion.chunk', choices: [], usage: used });
  res.end(`${frames.map((f) => `data: ${JSON.stringify(f)}\n\n`).join('')}data: [DONE]\n\n`);
}

function unknownModel(name: string): ApiError {
  return new UnknownModelError(
    `The model ${JSON.stringify(name.slice(0, 100))} does not exist; use "${GALEN_MODEL_ID}" (see GET /v1/models).`,
  );
}

/** OpenAI messages → Galen's: `developer` is `system`; text parts are joined; tools are refused. */
function toAnswerRequest(body: ChatCompletionRequest, signal: AbortSignal, patient: PatientContext | undefined): AnswerRequest {
  const messages: ChatMessage[] = [];
  body.messages.forEach((m, i) => {
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw new InvalidParameterError(
        `messages.${i}.role`,
        `messages.${i}.role: Galen supports system, developer, user and assistant messages, not ${JSON.stringify(m.role)}.`,
      );
    }
    let content: string;
    const at = `messages.${i}.content`;
    if (typeof m.content === 'string') content = m.content;
    else if (Array.isArray(m.content)) {
      const other = m.content.find((part) => part.type !== 'text');
      if (other)
        throw new InvalidParameterError(at, `messages.${i}.content: only text parts are supported, not ${JSON.stringify(other.type)}.`);
      content = m.content.map((part) => part.text ?? '').join('\n');
    } else content = '';
    if (content.length > MAX_MESSAGE_CHARS) {
      throw new InvalidParameterError(
        at,
        `messages.${i}.content: content is limited to ${MAX_MESSAGE_CHARS.toLocaleString('en')} characters`,
      );
    }
    // Galen's own guidance, disclaimer and sources block, sent back as history, are not the topic.
    if (role === 'assistant') content = assistantTurnForHistory(content);
    if (!content.trim()) {
      // An assistant turn that only called tools (or held only Galen's boilerplate) has no text to keep.
      if (role === 'assistant') return;
      throw new InvalidParameterError(at, `messages.${i}.content: content must not be empty`);
    }
    messages.push({ role, content });
  });
  if (messages.at(-1)?.role !== 'user')
    throw new InvalidParameterError('messages', "messages: the last message must be the user's question");
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  return {
    messages,
    signal,
    ...(maxTokens != null ? { maxTokens } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
    ...(stop?.length ? { stop } : {}),
    ...(body.galen?.k !== undefined ? { k: body.galen.k } : {}),
    ...(body.galen?.sources ? { sources: body.galen.sources as EvidenceSource[] } : {}),
    ...(patient ? { patient } : {}),
  };
}

function finishReason(answer: Answer): 'stop' | 'length' {
  return answer.finishReason === 'length' ? 'length' : 'stop';
}

function usage(answer: Answer) {
  return {
    prompt_tokens: answer.usage.promptTokens,
    completion_tokens: answer.usage.completionTokens,
    total_tokens: answer.usage.totalTokens,
  };
}

function galenExtras(answer: Answer) {
  return {
    answerId: answer.id,
    mode: answer.mode,
    triage: answer.triage,
    questionType: answer.questionType,
    abstained: answer.abstained,
    timings: answer.timings,
    removedCitations: answer.removedCitations,
  };
}
