import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { LexicalSearch, webUrl } from '../../knowledge/index.js';
import { ApiError } from './api-error.js';
import { requireRole } from '../security/index.js';
import { knowledgeRoutes } from './knowledge-routes.js';
import type { AppContext } from './app-context.js';
import { cdsRoutes } from './cds-routes.js';
import { chatRoutes } from './chat-routes.js';
import { clientCode, clientMessage } from './client-message.js';
import { feedbackRoutes } from './feedback-routes.js';
import { toApiError } from './http-errors.js';
import { isOpenAiPath, openAiErrorBody } from './openai-errors.js';
import { openApiDocument } from './openapi.js';
import { openAiRoutes } from './openai-routes.js';
import { retrieveRoutes } from './retrieve-routes.js';
import { describeFault } from './process-guard.js';
import { validateBody } from './validate-body.js';
import { webRoutes } from './web-routes.js';

export type { AppContext } from './app-context.js';

const SearchRequest = z
  .object({
    query: z.string().max(10_000, 'query is limited to 10,000 characters'),
    k: z.number().int().min(1).max(100).default(10),
    sources: z.array(z.string().min(1)).max(50).optional(),
  })
  .strict();

/**
 * The Express application. Middleware runs in this order: security headers and CORS, metrics
 * timing, the audit log, the request time limit; then each surface behind its own gate (body
 * limit, authentication, rate limit, role — see `surfaceGate`): `/v1` (API keys, clinician role:
 * search, retrieve, chat, feedback, the OpenAI-compatible API, knowledge administration with
 * `requireRole('admin')` inside) and `/metrics` (API keys, clinician); the open probes, chat page
 * and `/openapi.json`; then 404 and the JSON error handler (`{"error":{"code","message"}}`, never
 * a stack trace).
 *
 * @example
 * const app = createApp(ctx);
 * app.listen(8080);
 */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.security.trustProxy);
  app.use(ctx.security.headers);
  app.use(ctx.metrics.timing);
  app.use(ctx.audit.middleware);
  app.use(ctx.security.timeLimit);
  // Every /v1 request passes this gate before any /v1 router sees it.
  app.use('/v1', ...ctx.security.v1);
  const cds = ctx.cds;
  if (cds) {
    // Discovery is public (EHRs read it to register Galen); calls need the EHR's signed JWT.
    app.get('/cds-services', (_req, res) => {
      res.json(cds.hooks.discovery());
    });
    app.use(
      '/cds-services',
      ...ctx.security.surface({ authentication: cds.authentication, role: 'clinician' }),
      cdsRoutes(cds.hooks, ctx.logger),
    );
  }
  const search = new LexicalSearch(ctx.store);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const generator = ctx.answers.model.generator;
    const parts = {
      store: 'open',
      mode: ctx.answers.mode,
      retrievers: ctx.retrieval.sources,
      model: generator ? 'ready' : 'none',
      // Which backend generates, and for serving engines whether each answers: informative only,
      // since with every engine down Galen still answers (503 with Retry-After, or extractively).
      generator: ctx.upstreams
        ? await ctx.upstreams.report()
        : generator
          ? { backend: generator.provider, model: generator.name, contextWindow: generator.contextWindow }
          : { backend: 'none' },
      vectors: ctx.vectorIndex ? ctx.vectorIndex() : 'off',
      retrievalWorkers: ctx.retrievalWorkers?.() ?? 0,
    };
    const unready = ctx.unreadiness();
    if (unready) {
      res.status(503).json({ status: 'starting', reason: unready.reason, ...parts });
      return;
    }
    res.json({ status: 'ready', chunks: ctx.store.countChunks(), ...parts });
  });

  const openApi = openApiDocument(ctx.version ?? '0.0.0');
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use(webRoutes());

  app.post('/v1/search', (req, res) => {
    const { query, k, sources } = validateBody(SearchRequest, req.body);
    const started = performance.now();
    const result = search.search(query, { k, ...(sources ? { sources } : {}) });
    const tookMs = Math.round((performance.now() - started) * 100) / 100;
    ctx.logger.info({ route: '/v1/search', hits: result.hits.length, tookMs }, 'search');
    res.json({
      hits: result.hits.map((h) => ({
        chunkId: h.chunkId,
        externalId: h.externalId,
        source: h.source,
        title: h.title,
        url: webUrl(h.url),
        score: h.score,
        text: h.text,
        snippet: h.snippet,
        license: h.license,
        attribution: h.attribution,
        authority: h.authority,
      })),
      tookMs,
    });
  });

  app.use(retrieveRoutes(ctx));
  app.use(chatRoutes(ctx));
  app.use(feedbackRoutes(ctx.feedback));
  app.use(openAiRoutes(ctx));
  app.get('/metrics', ctx.security.apiKeys, requireRole('clinician'), ctx.metrics.handler);
  app.use(knowledgeRoutes({ store: ctx.store, jobs: ctx.jobs }));

  app.use((_req, _res, next) => next(new ApiError(404, 'NOT_FOUND', 'No such route.')));

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // Already answered (the time limit spoke first) or mid-stream: no JSON error can follow.
    if (res.headersSent) {
      if (!res.writableEnded) {
        ctx.logger.error({ fault: describeFault(error) }, 'request failed mid-response');
        res.destroy();
      }
      return;
    }
    const e = toApiError(error);
    const message = clientMessage(e.message);
    const code = clientCode(e.code, e.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
    // Type, code and frames, not the message: an engine's or a library's error text can quote the question.
    if (e.status >= 500) ctx.logger.error({ fault: describeFault(error) }, 'request failed');
    // The detail the client does not get (paths, internal codes) stays in the log.
    else if (message !== e.message) ctx.logger.warn({ code: e.code, detail: e.message }, 'request refused');
    res
      .status(e.status)
      .set(e.headers)
      .json(isOpenAiPath(req.path) ? openAiErrorBody(e, { code, message }) : { error: { code, message } });
  });
  return app;
}
