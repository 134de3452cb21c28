import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { LexicalSearch, type KnowledgeStore } from '../../knowledge/index.js';
import type { Logger } from '../logging/logger.js';
import { ApiError } from './api-error.js';
import type { KnowledgeJobs } from '../jobs/index.js';
import type { AuditLog } from '../logging/audit-log.js';
import type { GalenMetrics } from '../metrics/index.js';
import { requireRole, SecurityError, type SecurityLayer } from '../security/index.js';
import { knowledgeRoutes } from './knowledge-routes.js';

/** What the HTTP app needs; `ready` is false while the seed corpus is still being ingested. */
export interface AppContext {
  store: KnowledgeStore;
  logger: Logger;
  isReady: () => boolean;
  /** Headers, CORS, time and body limits, authentication, rate limit (server/security). */
  security: SecurityLayer;
  /** Prometheus metrics; the answer pipeline reports retrieval times, tokens and queue depth here. */
  metrics: GalenMetrics;
  /** The audit log of `/v1` requests (routes add `res.locals.audit`). */
  audit: AuditLog;
  /** Knowledge administration jobs (ingest, refresh, remove). */
  jobs: KnowledgeJobs;
}

const SearchRequest = z
  .object({
    query: z.string().max(10_000, 'query is limited to 10,000 characters'),
    k: z.number().int().min(1).max(100).default(10),
    sources: z.array(z.string().min(1)).max(50).optional(),
  })
  .strict();

/**
 * The Express application: health and readiness probes and lexical search of the corpus.
 * (The answer pipeline, OpenAI-compatible routes and administration come with the server issue.)
 */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(ctx.security.headers);
  app.use(ctx.metrics.timing);
  app.use(ctx.audit.middleware);
  app.use(ctx.security.timeLimit);
  app.use(express.json({ limit: ctx.security.bodyLimitBytes }));
  app.use(ctx.security.gate);
  const search = new LexicalSearch(ctx.store);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    if (!ctx.isReady()) {
      res.status(503).json({ status: 'starting', reason: 'ingesting the seed corpus' });
      return;
    }
    res.json({ status: 'ready', chunks: ctx.store.countChunks() });
  });

  app.post('/v1/search', (req, res) => {
    const parsed = SearchRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ApiError(400, 'INVALID_REQUEST', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const started = performance.now();
    const { query, k, sources } = parsed.data;
    const result = search.search(query, { k, ...(sources ? { sources } : {}) });
    const tookMs = Math.round((performance.now() - started) * 100) / 100;
    ctx.logger.info({ route: '/v1/search', hits: result.hits.length, tookMs }, 'search');
    res.json({
      hits: result.hits.map((h) => ({
        chunkId: h.chunkId,
        externalId: h.externalId,
        source: h.source,
        title: h.title,
        url: h.url,
        score: h.score,
        text: h.text,
        snippet: h.snippet,
        license: h.license,
        attribution: h.attribution,
      })),
      tookMs,
    });
  });

  app.get('/metrics', requireRole('clinician'), ctx.metrics.handler);
  app.use(knowledgeRoutes({ store: ctx.store, jobs: ctx.jobs }));

  app.use((_req, _res, next) => next(new ApiError(404, 'NOT_FOUND', 'No such route.')));

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // Already answered (the time limit spoke first) or mid-stream: no JSON error can follow.
    if (res.headersSent) {
      if (!res.writableEnded) {
        ctx.logger.error({ err: error }, 'request failed mid-response');
        res.destroy();
      }
      return;
    }
    const e = toApiError(error);
    if (e.status >= 500) ctx.logger.error({ err: error }, 'request failed');
    res.status(e.status).json({ error: { code: e.code, message: e.message } });
  });
  return app;
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof SecurityError) return new ApiError(error.status, error.code, error.message);
  const e = error as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.parse.failed') return new ApiError(400, 'INVALID_JSON', 'The request body is not valid JSON.');
  if (e.type === 'entity.too.large') return new ApiError(413, 'BODY_TOO_LARGE', 'The request body is too large.');
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return new ApiError(e.status, 'BAD_REQUEST', e.message ?? 'Bad request.');
  return new ApiError(500, 'INTERNAL', 'Internal error.');
}
