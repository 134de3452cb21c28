import type { RequestHandler } from 'express';
import type { ApiKeyStore } from './api-key-store.js';
import { authenticate } from './authentication.js';
import { assertKeysWhenExposed, isLoopbackHost } from './loopback.js';
import { limitRate } from './rate-limit.js';
import { limitRequestTime } from './request-time-limit.js';
import { requireRole } from './require-role.js';
import type { Role } from './roles.js';
import { corsPolicy, securityHeaders } from './security-headers.js';

/** Settings of the security layer; `galen serve` takes them from the `security` config block. */
export interface SecurityLayerOptions {
  keys: ApiKeyStore;
  /** The interface Galen binds: beyond loopback, every `/v1` route needs a key and a key must exist. */
  host: string;
  /** What a request without a key may do on loopback. */
  anonymousRole: Role | 'none';
  /** Requests per minute per key (per IP when anonymous); 0 = no limit. */
  rateLimitPerMinute: number;
  /** Largest JSON body, KiB. */
  maxBodyKb: number;
  /** Time to the response's first byte, ms. */
  requestTimeoutMs: number;
  /** CORS origins; empty = CORS off. */
  corsOrigins: readonly string[];
}

/** The middleware, in the order the app mounts them, with the limits they enforce. */
export interface SecurityLayer {
  /** helmet headers, then CORS. Mount first. */
  headers: RequestHandler[];
  /** The request time limit (sets `res.locals.abortSignal`). */
  timeLimit: RequestHandler;
  /** The JSON body limit, bytes, for `express.json({ limit })`. */
  bodyLimitBytes: number;
  /** Authentication, then (on `/v1`) the rate limit and the clinician baseline. Mount after body parsing, before routes. */
  gate: RequestHandler[];
  /** What anonymous requests may do here: null beyond loopback. */
  anonymousRole: Role | null;
}

/**
 * Builds the security middleware for a server bound to `host`. Refuses (`KEYS_REQUIRED`) a host
 * beyond loopback while no API key exists. Every `/v1` route needs at least the clinician role
 * (a key, or anonymity on loopback when allowed); admin routes add `requireRole('admin')`.
 *
 * @example
 * const security = createSecurityLayer({ keys, host: '127.0.0.1', anonymousRole: 'clinician',
 *   rateLimitPerMinute: 300, maxBodyKb: 256, requestTimeoutMs: 30_000, corsOrigins: [] });
 * app.use(security.headers); app.use(security.timeLimit);
 * app.use(express.json({ limit: security.bodyLimitBytes })); app.use(security.gate);
 */
export function createSecurityLayer(options: SecurityLayerOptions): SecurityLayer {
  assertKeysWhenExposed(options.host, options.keys);
  const anonymousRole = isLoopbackHost(options.host) && options.anonymousRole !== 'none' ? options.anonymousRole : null;
  const rateLimit = limitRate({ limit: options.rateLimitPerMinute });
  const clinician = requireRole('clinician');
  const onV1 =
    (handler: RequestHandler): RequestHandler =>
    (req, res, next) =>
      req.path === '/v1' || req.path.startsWith('/v1/') ? handler(req, res, next) : next();
  return {
    headers: [securityHeaders(), corsPolicy(options.corsOrigins)],
    timeLimit: limitRequestTime({ ms: options.requestTimeoutMs }),
    bodyLimitBytes: options.maxBodyKb * 1024,
    gate: [authenticate({ keys: options.keys, anonymousRole }), onV1(rateLimit), onV1(clinician)],
    anonymousRole,
  };
}
