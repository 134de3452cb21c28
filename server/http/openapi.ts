import { z } from 'zod';
import { ChatCompletionRequestSchema, ChatRequestSchema, RetrieveRequestSchema } from './request-schemas.js';
import { CdsFeedbackSchema, CdsRequestSchema } from '../cds-hooks/index.js';
import { FeedbackRequestSchema } from './feedback-routes.js';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType): Json => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};

const ErrorBody: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
};

const Citation: Json = {
  type: 'object',
  required: ['n', 'title', 'url', 'source', 'license', 'attribution', 'externalId'],
  properties: {
    n: { type: 'integer', description: 'The [n] marker in the answer text' },
    title: { type: 'string' },
    section: { type: 'string' },
    url: { type: ['string', 'null'] },
    source: { type: 'string', description: 'Knowledge-base source name, or wikipedia-live' },
    license: { type: 'string' },
    attribution: { type: 'string' },
    externalId: { type: 'string', description: 'Citation id of the passage (e.g. GHR_0000804_Sec2), or the article URL' },
    preview: { type: 'string', description: "The passage's opening words (at most 200 characters), for a hover preview" },
  },
};

const Triage: Json = {
  type: 'object',
  required: ['level', 'reasons'],
  properties: {
    level: { enum: ['emergency', 'urgent', 'none'] },
    reasons: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          rule: { type: 'string' },
          category: { type: 'string' },
          level: { type: 'string' },
          description: { type: 'string' },
          matched: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

const Answer: Json = {
  type: 'object',
  required: ['id', 'answer', 'mode', 'citations', 'triage', 'usage', 'timings', 'model'],
  properties: {
    id: { type: 'string' },
    answer: { type: 'string', description: 'Urgent-care guidance when triage fired, the answer with [n] markers, and a disclaimer' },
    mode: { enum: ['extractive', 'generative'] },
    citations: {
      type: 'array',
      items: { $ref: '#/components/schemas/Citation' },
      description: 'The cited passages; every [n] in the answer is one of them',
    },
    triage: { $ref: '#/components/schemas/Triage' },
    questionType: { type: 'string', description: 'The question type answered first' },
    questionTypes: { type: 'array', items: { type: 'string' }, description: 'Every question type of the message, answered in turn' },
    abstained: {
      type: 'boolean',
      description: "True when Galen's sources do not cover the question: the answer says so and cites nothing",
    },
    language: { enum: ['en', 'zh'] },
    finishReason: { enum: ['stop', 'length'] },
    usage: {
      type: 'object',
      properties: {
        promptTokens: { type: 'integer' },
        completionTokens: { type: 'integer' },
        totalTokens: { type: 'integer' },
        passages: { type: 'integer' },
      },
    },
    timings: {
      type: 'object',
      description: 'Milliseconds: triageMs, retrieval (per retriever and total), generationMs, timeToFirstTokenMs, totalMs',
    },
    model: { type: 'object', description: 'The answer mode and, in generative mode, the generator' },
    removedCitations: { type: 'array', items: { type: 'integer' } },
    droppedPassages: { type: 'array', items: { type: 'object' } },
  },
};

const CdsCard: Json = {
  type: 'object',
  required: ['uuid', 'summary', 'indicator', 'source'],
  properties: {
    uuid: { type: 'string' },
    summary: { type: 'string', maxLength: 139 },
    detail: { type: 'string', description: 'Markdown with numbered citations [n] and what the card cannot say' },
    indicator: {
      enum: ['info', 'warning', 'critical'],
      description: 'critical only from the rule-based triage or a documented contraindication rule',
    },
    source: { type: 'object', required: ['label'], properties: { label: { type: 'string' }, url: { type: 'string' } } },
    links: {
      type: 'array',
      items: { type: 'object', properties: { label: { type: 'string' }, url: { type: 'string' }, type: { const: 'absolute' } } },
    },
  },
};

const errors = (...statuses: number[]): Json =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: ERROR_TEXT[s] ?? 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed JSON, wrong types, empty or too long messages, unknown source',
  401: 'No or invalid credentials (an API key; on /cds-services the EHR-signed JWT)',
  403: "The key's role may not do this",
  404: 'Unknown model, CDS service, source or job',
  413: 'Body too large',
  503: 'Not ready, or the generation queue is full (see Retry-After)',
};

const json = (body: Json) => ({ content: { 'application/json': { schema: body } } });

/**
 * The OpenAPI 3.1 description of Galen's HTTP API, served at `GET /openapi.json`. Request bodies
 * come from the same zod schemas that validate requests, so they cannot drift apart.
 *
 * @example
 * app.get('/openapi.json', (_req, res) => res.json(openApiDocument('0.1.0')));
 */
export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Galen',
      version,
      description:
        'Medical question answering with cited, retrieval-grounded answers. Galen is not a doctor: answers are information with sources, not diagnosis or treatment.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    paths: {
      '/healthz': { get: { summary: 'Liveness: the process answers', responses: { 200: { description: 'Alive' } } } },
      '/readyz': {
        get: {
          summary:
            'Readiness: store open, seed corpus in, indexes and model loaded; `generator` names the backend and, for serving engines, whether each answers /v1/models (last probe, refreshed in the background)',
          responses: { 200: { description: 'Ready' }, 503: { description: 'Starting or shutting down' } },
        },
      },
      '/v1/chat': {
        post: {
          summary: 'Answer a question (with conversation history and optional patient context)',
          requestBody: { required: true, ...json(schema(ChatRequestSchema)) },
          responses: {
            200: {
              description:
                'The answer; with stream: true, Server-Sent Events `citations` (numbered passages the answer may cite, triage), `delta` ({text}), then `done` (the answer) or `error`',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/Answer' } },
                'text/event-stream': { schema: { type: 'string' } },
              },
            },
            ...errors(400, 413, 503),
          },
        },
      },
      '/v1/chat/completions': {
        post: {
          summary: 'OpenAI-compatible chat completion (model "galen"); citations in an extra `citations` field, mode and triage in `galen`',
          requestBody: { required: true, ...json(schema(ChatCompletionRequestSchema)) },
          responses: {
            200: { description: 'A chat.completion, or chat.completion.chunk SSE ending with data: [DONE]' },
            ...errors(400, 404, 413, 503),
          },
        },
      },
      '/v1/models': { get: { summary: 'OpenAI-compatible model list', responses: { 200: { description: 'The models (one: galen)' } } } },
      '/v1/retrieve': {
        post: {
          summary: 'Evidence only: corpus, vectors and live Wikipedia, fused',
          requestBody: { required: true, ...json(schema(RetrieveRequestSchema)) },
          responses: {
            200: {
              description:
                "The question analysis (language, focus, types, coreQuestion, query), hits with citation fields, their source's authority (reference, literature, encyclopedia, dialogue), score and provenance; timings",
            },
            ...errors(400, 413, 503),
          },
        },
      },
      '/v1/search': {
        post: {
          summary: 'BM25 search of the local corpus',
          responses: { 200: { description: "Hits with citation fields and their source's authority" }, ...errors(400, 413) },
        },
      },
      '/v1/feedback': {
        post: {
          summary:
            "A reader's thumbs up/down on an answer, with an optional note (stored redacted; question text only when question logging is on)",
          requestBody: { required: true, ...json(schema(FeedbackRequestSchema)) },
          responses: { 201: { description: 'Stored: {stored: {note, question}}' }, ...errors(400, 413) },
        },
      },
      '/v1/models/{id}': {
        get: {
          summary: 'One OpenAI-compatible model (galen)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The model' }, ...errors(404) },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (clinician key or anonymous loopback)',
          responses: { 200: { description: 'Prometheus text format' } },
        },
      },
      '/v1/knowledge/sources': {
        get: {
          summary: 'Sources with their counts, licence, authority and last refresh (admin)',
          responses: { 200: { description: '{sources}' }, ...errors(401, 403) },
        },
      },
      '/v1/knowledge/sources/{name}': {
        delete: {
          summary: 'Remove a source as a background job (admin)',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 202: { description: 'The job, with Location /v1/jobs/{id}' }, ...errors(401, 403, 404) },
        },
      },
      '/v1/knowledge/ingest': {
        post: {
          summary:
            'Ingest uploaded files (multipart) into a source as a background job (admin); source, format, license, attribution and authority (reference, literature, encyclopedia, dialogue) as query or form fields',
          responses: { 202: { description: 'The job, with Location /v1/jobs/{id}' }, ...errors(400, 401, 403, 413) },
        },
      },
      '/v1/knowledge/refresh': {
        post: {
          summary: 'Refresh a source from its recorded paths as a background job (admin)',
          responses: { 202: { description: 'The job' }, ...errors(400, 401, 403, 404) },
        },
      },
      '/v1/jobs': {
        get: { summary: 'Knowledge jobs, newest first (admin)', responses: { 200: { description: '{jobs}' }, ...errors(401, 403) } },
      },
      '/v1/jobs/{id}': {
        get: {
          summary: 'One knowledge job (admin)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The job' }, ...errors(401, 403, 404) },
        },
        delete: {
          summary: 'Cancel a queued or running knowledge job (admin)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The job' }, ...errors(401, 403, 404) },
        },
      },
      '/cds-services': {
        get: {
          summary: 'CDS Hooks 2.0 discovery: the services with their hooks and prefetch templates (public)',
          security: [],
          responses: { 200: { description: '{services: [{id, hook, title, description, prefetch}]}' } },
        },
      },
      '/cds-services/{id}': {
        post: {
          summary:
            "Call a CDS service (galen-patient-view, galen-order-select, galen-order-sign): the patient's record from prefetch or fetched from fhirServer, answered with cards; a failing FHIR server gives a card saying so",
          security: [{ ehrJwt: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, ...json(schema(CdsRequestSchema)) },
          responses: {
            200: json({
              type: 'object',
              required: ['cards'],
              properties: { cards: { type: 'array', items: { $ref: '#/components/schemas/CdsCard' } } },
            }),
            ...errors(400, 401, 404, 413),
          },
        },
      },
      '/cds-services/{id}/feedback': {
        post: {
          summary: "The EHR's feedback on cards (accepted or overridden, with the override reason), stored and counted",
          security: [{ ehrJwt: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, ...json(schema(CdsFeedbackSchema)) },
          responses: { 200: { description: '{stored: <items>}' }, ...errors(400, 401, 404, 413) },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
      '/': { get: { summary: 'The chat page', responses: { 200: { description: 'HTML' } } } },
    },
    components: {
      schemas: { Error: ErrorBody, Citation, Triage, Answer, CdsCard },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key (galen keys create), when the server requires one' },
        ehrJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "CDS Hooks: a JWT the EHR signs (iss a trusted issuer of GALEN_CDS_ISSUERS, aud this service's URL, exp, iat, jti used once)",
        },
      },
    },
  };
}
