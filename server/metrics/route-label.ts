import type { Request } from 'express';

/**
 * The route pattern a request matched (`/v1/jobs/:id`, not `/v1/jobs/4f…`), so metrics and the
 * audit log group by route without one series per id; `unmatched` for requests no route took
 * (404s, and refusals before routing such as 401 and 429).
 *
 * @example
 * res.on('finish', () => histogram.observe({ route: routeLabel(req) }, seconds));
 */
export function routeLabel(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (!route || typeof route.path !== 'string') return 'unmatched';
  return `${req.baseUrl ?? ''}${route.path}` || '/';
}
