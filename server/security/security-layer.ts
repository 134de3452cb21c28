import type { RequestHandler } from 'express';
import type { ApiKeyStore } from './api-key-store.js';
import { limitAuthFailures } from './auth-failure-limit.js';
import { authenticate } from './authentication.js';
import { checkHost } from './host-check.js';
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
  /** Host names answered besides IP addresses, `localhost` and `host`; `*` = any. Default none. */
  allowedHosts?: readonly string[];
  /** A reverse proxy in front sets `X-Forwarded-For`: read the client address from it and keep anonymous access. Default false. */
  trustProxy?: boolean;
  /** Bad API keys per client address per minute before 429; 0 = no limit. Default 20. */
  authFailuresPerMinute?: number;
}

/** The middleware, in the order the app mounts them, with the limits they enforce. */
export interface SecurityLayer {
  /** helmet headers, CORS, then the Host check (421 for a host name not configured). Mount first. */
  headers: RequestHandler[];
  /** The request time limit (sets `res.locals.abortSignal`). */
  timeLimit: RequestHandler;
  /** The JSON body limit, bytes, for `express.json({ limit })`. */
  bodyLimitBytes: number;
  /** API-key authentication (sets `res.locals.principal`) behind the per-address throttle of bad keys, for `/v1` and `/metrics`. */
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
  /** Express's `trust proxy` setting for `req.ip`: proxies on loopback and private networks, or none. */
  trustProxy: string | false;
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
  const trustProxy = options.trustProxy ?? false;
  const keyCheck = authenticate({ keys: options.keys, anonymousRole, trustProxy });
  const failures = limitAuthFailures({ limit: options.authFailuresPerMinute ?? 20 });
  // One handler (surfaces take one): the throttle, the key check, and counting its 401s.
  const apiKeys: RequestHandler = (req, res, next) =>
    failures.gate(req, res, (refused?: unknown) => {
      if (refused) return next(refused);
      keyCheck(req, res, (error?: unknown) => (error ? failures.count(error, req, res, next) : next()));
    });
  const surface: SecurityLayer['surface'] = (spec) =>
    surfaceGate({ rateLimitPerMinute: options.rateLimitPerMinute, maxBodyKb: options.maxBodyKb, ...spec });
  return {
    headers: [
      securityHeaders(),
      corsPolicy(options.corsOrigins),
      checkHost({ host: options.host, allowedHosts: options.allowedHosts ?? [] }),
    ],
    timeLimit: limitRequestTime({ ms: options.requestTimeoutMs }),
    bodyLimitBytes: options.maxBodyKb * 1024,
    apiKeys,
    v1: surface({ authentication: apiKeys, role: 'clinician' }),
    surface,
    anonymousRole,
    trustProxy: trustProxy ? 'loopback, linklocal, uniquelocal' : false,
  };
}
