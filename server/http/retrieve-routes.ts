import { webUrl } from '../../knowledge/index.js';
import { Router } from 'express';
import { knownSources } from '../answer/index.js';
import type { AppContext } from './app-context.js';
import { recordRetrieval } from './answer-telemetry.js';
import { requestSignal } from './client-abort.js';
import { assertReady } from './readiness.js';
import { RetrieveRequestSchema } from './request-schemas.js';
import { validateBody } from './validate-body.js';

/**
 * `POST /v1/retrieve` `{query, k?, sources?}` → the fused evidence only (no answer): each hit with
 * its citation fields, fused score, the retrievers that found it and its cosine similarity to the
 * question when the vector index scored it, plus timings.
 *
 * @example
 * app.use(retrieveRoutes(ctx));
 */
export function retrieveRoutes(ctx: AppContext): Router {
  const router = Router();
  router.post('/v1/retrieve', async (req, res) => {
    const body = validateBody(RetrieveRequestSchema, req.body);
    const sources = knownSources(body.sources, ctx.retrieval.sources);
    assertReady(ctx);
    const signal = requestSignal(res);
    const result = await ctx.retrieval.retrieve(body.query, { k: body.k, signal, ...(sources ? { sources } : {}) });
    recordRetrieval(ctx, result.timings);
    res.locals.audit = { sources: [...new Set(result.hits.map((h) => h.source))], question: body.query };
    res.json({
      query: result.query,
      analysis: result.analysis,
      hits: result.hits.map((h) => ({
        externalId: h.externalId,
        source: h.source,
        title: h.title,
        section: h.section,
        url: webUrl(h.url),
        score: h.score,
        text: h.text,
        license: h.license,
        attribution: h.attribution,
        authority: h.authority,
        retrievers: h.retrievers,
        ...(h.similarity !== undefined ? { similarity: h.similarity } : {}),
      })),
      timings: result.timings,
      ...(result.wikipedia ? { wikipedia: result.wikipedia } : {}),
    });
  });
  return router;
}
