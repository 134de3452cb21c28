import type { RequestHandler } from 'express';
import { SecurityError } from './errors.js';
import { roleAllows, type Role } from './roles.js';

/**
 * Route middleware that lets a request through only when its principal holds `role` (or a
 * stronger one): no usable principal is a 401 `API_KEY_REQUIRED`, too weak a role a 403
 * `FORBIDDEN`. Needs {@link authenticate} earlier in the chain.
 *
 * @example
 * app.post('/v1/knowledge/refresh', requireRole('admin'), handler);
 */
export function requireRole(role: Role): RequestHandler {
  return (_req, res, next) => {
    const principal = res.locals.principal;
    if (!principal || principal.role === null) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="galen"');
      next(new SecurityError('API_KEY_REQUIRED', 'An API key is required: send "Authorization: Bearer <key>".'));
      return;
    }
    if (!roleAllows(principal.role, role)) {
      const who =
        principal.kind === 'key'
          ? `the key ${principal.keyId} has the role ${principal.role}`
          : `anonymous callers have the role ${principal.role}`;
      next(new SecurityError('FORBIDDEN', `This route needs the ${role} role; ${who}.`));
      return;
    }
    next();
  };
}
