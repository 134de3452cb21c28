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
 * CDS gate. Logs and audits counts only (service, hook, outcome, cards): never the patient, the
 * context or the FHIR token.
 */
export function cdsRoutes(cds: CdsHooks, logger: Logger): Router {
  const router = Router();
  // Only ids and hooks Galen offers reach the audit log, never free text from the request.
  const offered = new Map(cds.discovery().services.map((s) => [s.id, s.hook]));
  router.post('/:id', async (req, res) => {
    const id = String(req.params.id);
    const hook = offered.get(id);
    res.locals.audit = { ...(hook ? { service: id, hook } : {}), outcome: 'refused' };
    const body = validateBody(CdsRequestSchema, req.body);
    const started = performance.now();
    const outcome = await cds.call(id, body, requestSignal(res));
    res.locals.audit = {
      service: id,
      ...(hook ? { hook } : {}),
      outcome: outcome.record === 'unavailable' ? 'record-unavailable' : outcome.cards.length ? 'cards' : 'no-cards',
      cards: outcome.cards.length,
    };
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
    const id = String(req.params.id);
    const hook = offered.get(id);
    res.locals.audit = { ...(hook ? { service: id, hook } : {}), outcome: 'refused' };
    const body = validateBody(CdsFeedbackSchema, req.body);
    const stored = cds.recordFeedback(id, body);
    res.locals.audit = { ...res.locals.audit, outcome: 'feedback', cards: stored };
    res.json({ stored });
  });
  return router;
}
