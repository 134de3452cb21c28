import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers (Content-Security-Policy `default-src 'self'`, no sniffing, HSTS, frame
 * denial, no referrer leaks…). A web page served by Galen must load its scripts and styles from
 * files, not inline. `upgrade-insecure-requests` is sent only over TLS (`req.secure`, which honours
 * the trusted proxy setting): over plain HTTP at any address but localhost it made browsers fetch
 * `/web/app.css` and `/web/app.js` over https, which nothing answered.
 *
 * @example
 * app.use(securityHeaders());
 */
export function securityHeaders(): RequestHandler {
  const overTls = helmet({ referrerPolicy: { policy: 'no-referrer' } });
  const plain = helmet({
    referrerPolicy: { policy: 'no-referrer' },
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  return (req, res, next) => (req.secure ? overTls : plain)(req, res, next);
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
