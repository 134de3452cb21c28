import type { ErrorRequestHandler, RequestHandler } from 'express';
import { SecurityError } from './errors.js';

/** How many bad keys a client address may present. */
export interface AuthFailureLimitOptions {
  /** Failed authentications per address per window; 0 turns the limit off. */
  limit: number;
  /** Window length, ms. Default 60 000. */
  windowMs?: number;
}

/** The two halves: a gate before authentication, and an error handler that counts its 401s. */
export interface AuthFailureLimit {
  /** Answers 429 `TOO_MANY_AUTH_FAILURES` (with `Retry-After`) to an address over its limit, before its key is checked. */
  gate: RequestHandler;
  /** Counts a 401 from authentication against the client's address and passes the error on. */
  count: ErrorRequestHandler;
}

const AUTH_CODES = new Set(['INVALID_API_KEY', 'REVOKED_API_KEY']);

/**
 * Throttles failed authentication per client address (`req.ip`), apart from the per-key request
 * budget: guessing keys costs a client its address's budget, and a valid key from another address
 * is unaffected. Fixed windows in memory; an address's count resets when its window ends.
 *
 * @example
 * const failures = limitAuthFailures({ limit: 20 });
 * app.use(failures.gate, authenticate(...), failures.count);
 */
export function limitAuthFailures(options: AuthFailureLimitOptions): AuthFailureLimit {
  const windowMs = options.windowMs ?? 60_000;
  const windows = new Map<string, { start: number; failures: number }>();
  const current = (address: string, now: number) => {
    let w = windows.get(address);
    if (!w || now - w.start >= windowMs) {
      // Forget ended windows now and then, so the map stays as large as the active addresses.
      if (windows.size > 10_000) for (const [k, v] of windows) if (now - v.start >= windowMs) windows.delete(k);
      w = { start: now, failures: 0 };
      windows.set(address, w);
    }
    return w;
  };
  if (options.limit <= 0) return { gate: (_req, _res, next) => next(), count: (error, _req, _res, next) => next(error) };
  return {
    gate: (req, res, next) => {
      const now = Date.now();
      const w = current(req.ip ?? 'unknown', now);
      if (w.failures < options.limit) return next();
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil((w.start + windowMs - now) / 1000))));
      next(
        new SecurityError(
          'TOO_MANY_AUTH_FAILURES',
          `Too many requests with a bad API key from this address: at most ${options.limit} per ${windowMs / 1000} s.`,
        ),
      );
    },
    count: (error: unknown, req, _res, next) => {
      if (error instanceof SecurityError && AUTH_CODES.has(error.code)) current(req.ip ?? 'unknown', Date.now()).failures++;
      next(error);
    },
  };
}
