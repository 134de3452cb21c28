import type { RequestHandler } from 'express';
import type { ApiKeyStore } from './api-key-store.js';
import { API_KEY_PREFIX } from './api-key-format.js';
import { SecurityError } from './errors.js';
import { isProxied } from './host-check.js';
import type { Role } from './roles.js';

/** How requests are authenticated. */
export interface AuthenticationOptions {
  keys: ApiKeyStore;
  /**
   * What a request without a key may do: a role, or null to require a key on every guarded route.
   * Galen passes null whenever it listens beyond loopback.
   */
  anonymousRole: Role | null;
  /** A proxy in front is trusted; otherwise a proxied request (`X-Forwarded-For`, `Forwarded`) is never anonymous. Default false. */
  trustProxy?: boolean;
}

/**
 * Middleware that reads an API key from `Authorization: Bearer <key>` or `X-API-Key: <key>` and
 * sets `res.locals.principal`. A presented key must be valid even where anonymous callers are
 * allowed: a bad or revoked key is a 401, never a silent downgrade. A request without a key gets
 * the anonymous principal; whether that suffices is for {@link requireRole} to say. So does a bearer
 * token that is not shaped like a Galen key (`sk-no-key-required`, the dummy OpenAI-style clients
 * send to local servers) where anonymous callers are allowed (on loopback); a `galen_…` key is
 * always checked. A request that came through a proxy (`X-Forwarded-For` or `Forwarded`) is from
 * elsewhere even on loopback: its anonymous role is none unless `trustProxy`.
 *
 * @example
 * app.use(authenticate({ keys, anonymousRole: null }));
 */
export function authenticate(options: AuthenticationOptions): RequestHandler {
  return (req, res, next) => {
    const presented = presentedKey(req.headers.authorization, req.headers['x-api-key']);
    const notGalenKey = typeof presented === 'string' && !presented.startsWith(API_KEY_PREFIX);
    if (presented === null || (notGalenKey && options.anonymousRole !== null)) {
      const role = !options.trustProxy && isProxied(req.headers) ? null : options.anonymousRole;
      res.locals.principal = { kind: 'anonymous', role };
      next();
      return;
    }
    const check = presented === undefined ? null : options.keys.check(presented);
    if (check?.status === 'valid') {
      res.locals.principal = { kind: 'key', keyId: check.key.id, role: check.key.role };
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="galen"');
    if (check === null) next(new SecurityError('INVALID_API_KEY', 'The Authorization header must be "Bearer <API key>".'));
    else if (check.status === 'revoked') next(new SecurityError('REVOKED_API_KEY', 'The API key has been revoked.'));
    else next(new SecurityError('INVALID_API_KEY', 'The API key is not valid.'));
  };
}

/** The key presented, null when none was, undefined when the Authorization header is malformed. */
function presentedKey(authorization: string | undefined, apiKeyHeader: string | string[] | undefined): string | null | undefined {
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1]! : undefined;
  }
  if (Array.isArray(apiKeyHeader)) return undefined;
  return apiKeyHeader?.trim() || null;
}
