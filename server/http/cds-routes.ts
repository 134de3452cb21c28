import { Router, type Request } from 'express';
import { CdsFeedbackSchema, CdsRequestSchema, type CdsHooks } from '../cds-hooks/index.js';
import type { Logger } from '../logging/logger.js';
import { requestSignal } from './client-abort.js';
import { validateBody } from './validate-body.js';

/**
 * The URL of the CDS service a request calls, for the JWT's `aud`: `<publicUrl>/cds-services/<id>`
 * (`publicUrl` from `GALEN_PUBLIC_URL`, else the request's scheme and Host).
 */
export function cdsAudience(req: Request, publicUrl: string | undefined): string[] {
  const base = publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const path = `${req.baseUrl}${req.path}`.replace(/\/+$/, '');
  const service = path.replace(/\/feedback$/, '');
  return [...new Set([`${base}${path}`, `${base}${service}`])];
}

/**
 * `POST /cds-services/{id}` (cards) and `POST /cds-services/{id}/feedback`, mounted behind the
 * CDS gate. Logs counts only: never the patient, the context or the FHIR token.
 */
export function cdsRoutes(cds: CdsHooks, logger: Logger): Router {
  const router = Router();
  router.post('/:id', async (req, res) => {
    const body = validateBody(CdsRequestSchema, req.body);
    const id = String(req.params.id);
    const started = performance.now();
    const outcome = await cds.call(id, body, requestSignal(res));
    logger.info(
      {
        route: '/cds-services/:id',
        service: id,
        cards: outcome.cards.length,
        record: outcome.record,
        tookMs: Math.round(performance.now() - started),
      },
      'cds hook',
    );
    res.json({ cards: outcome.cards });
  });
  router.post('/:id/feedback', (req, res) => {
    const body = validateBody(CdsFeedbackSchema, req.body);
    const stored = cds.recordFeedback(String(req.params.id), body);
    res.json({ stored });
  });
  return router;
}
