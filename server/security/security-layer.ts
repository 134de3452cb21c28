import type { RequestHandler } from 'express';
import type { ApiKeyStore } from './api-key-store.js';
import { authenticate } from './authentication.js';
import { assertKeysWhenExposed, isLoopbackHost } from './loopback.js';
import { limitRequestTime } from './request-time-limit.js';
import type { Role } from './roles.js';
import { corsPolicy, securityHeaders } from './security-headers.js';
import { type SurfaceSpec, surfaceGate } from './surface-gate.js';

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
  /** API-key authentication (sets `res.locals.principal`), for `/v1` and `/metrics`. */
  apiKeys: RequestHandler;
  /** The `/v1` gate: body limit, API keys, the rate limit, the clinician baseline. */
  v1: RequestHandler[];
  /**
   * A gate for another surface, with this layer's rate and body limits unless the spec says
   * otherwise (see {@link surfaceGate}).
   */
  surface(spec: Pick<SurfaceSpec, 'authentication' | 'role'> & Partial<SurfaceSpec>): RequestHandler[];
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
 * app.use('/v1', ...security.v1);
 */
export function createSecurityLayer(options: SecurityLayerOptions): SecurityLayer {
  assertKeysWhenExposed(options.host, options.keys);
  const anonymousRole = isLoopbackHost(options.host) && options.anonymousRole !== 'none' ? options.anonymousRole : null;
  const apiKeys = authenticate({ keys: options.keys, anonymousRole });
  const surface: SecurityLayer['surface'] = (spec) =>
    surfaceGate({ rateLimitPerMinute: options.rateLimitPerMinute, maxBodyKb: options.maxBodyKb, ...spec });
  return {
    headers: [securityHeaders(), corsPolicy(options.corsOrigins)],
    timeLimit: limitRequestTime({ ms: options.requestTimeoutMs }),
    bodyLimitBytes: options.maxBodyKb * 1024,
    apiKeys,
    v1: surface({ authentication: apiKeys, role: 'clinician' }),
    surface,
    anonymousRole,
  };
}
