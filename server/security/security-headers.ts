import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers (Content-Security-Policy `default-src 'self'`, no sniffing, HSTS, frame
 * denial, no referrer leaks…). A web page served by Galen must load its scripts and styles from
 * files, not inline.
 *
 * @example
 * app.use(securityHeaders());
 */
export function securityHeaders(): RequestHandler {
  return helmet({ referrerPolicy: { policy: 'no-referrer' } });
}

/**
 * CORS: off (no `Access-Control-Allow-Origin`, so browsers keep other sites' pages out) unless
 * origins are configured; `*` allows any origin. Keys travel in headers, never cookies, so
 * credentials are not allowed.
 *
 * @example
 * app.use(corsPolicy(['https://ehr.example.org']));
 */
export function corsPolicy(origins: readonly string[]): RequestHandler {
  if (origins.length === 0) return (_req, _res, next) => next();
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key'],
    exposedHeaders: ['Location', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
    maxAge: 600,
  });
}
