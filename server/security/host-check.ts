import type { RequestHandler } from 'express';
import { SecurityError } from './errors.js';
import { isIP } from 'node:net';

/** Which `Host` names a server answers to. */
export interface HostCheckOptions {
  /** The interface Galen binds (`server.host`): a name or address there is accepted too. */
  host: string;
  /** Further names (`security.allowedHosts`); `*` turns the check off. */
  allowedHosts: readonly string[];
}

const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** The host name of a `Host` header value, lower-cased, without port (IPv6 keeps its brackets). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}

/**
 * Middleware that answers 421 `MISDIRECTED_REQUEST` when the `Host` header names a host Galen was
 * not configured for: a page on another site that re-resolved its own name to 127.0.0.1 (DNS
 * rebinding) would otherwise reach the loopback API with the anonymous role. IP addresses (a
 * rebinding needs a name), `localhost` and `*.localhost`, the bound host and `allowedHosts` pass.
 * Bound to a wildcard address with no `allowedHosts`, the check is off: every request there needs a key.
 *
 * @example
 * app.use(checkHost({ host: '127.0.0.1', allowedHosts: ['galen.ward4.example.org'] }));
 */
export function checkHost(options: HostCheckOptions): RequestHandler {
  const names = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  if (names.has('*') || (WILDCARD_BINDS.has(options.host.trim()) && names.size === 0)) return (_req, _res, next) => next();
  const bound = options.host.trim().toLowerCase();
  names.add(bound.includes(':') && !bound.startsWith('[') ? `[${bound}]` : bound);
  return (req, _res, next) => {
    const header = req.headers.host;
    // HTTP/1.0 may omit Host (Node refuses HTTP/1.1 without one): a browser never does.
    if (header === undefined) return next();
    const name = hostName(header);
    if (names.has(name) || isIP(name.replace(/^\[(.*)\]$/, '$1')) !== 0 || name === 'localhost' || name.endsWith('.localhost'))
      return next();
    next(
      new SecurityError(
        'MISDIRECTED_REQUEST',
        'This server does not answer to that host name; an operator can add it to security.allowedHosts (GALEN_ALLOWED_HOSTS).',
      ),
    );
  };
}

/** Whether a request came through a proxy: it carries `X-Forwarded-For` or `Forwarded`. */
export function isProxied(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['x-forwarded-for'] !== undefined || headers.forwarded !== undefined;
}
