import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { SecurityError } from './errors.js';

/** How many requests a caller may make. */
export interface RateLimitOptions {
  /** Requests per caller per window; 0 turns limiting off. */
  limit: number;
  /** Window length, ms. Default 60 000. */
  windowMs?: number;
}

/**
 * Middleware that counts requests per API key (per client IP for anonymous callers, who exist
 * only on loopback) in a fixed window, and answers 429 `RATE_LIMITED` with `Retry-After` (seconds)
 * and `RateLimit` headers past the limit. Needs {@link authenticate} earlier in the chain.
 *
 * @example
 * app.use('/v1', limitRate({ limit: 300 }));
 */
export function limitRate(options: RateLimitOptions): RequestHandler {
  if (options.limit <= 0) return (_req, _res, next) => next();
  const windowMs = options.windowMs ?? 60_000;
  return rateLimit({
    windowMs,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req, res) => {
      const principal = res.locals.principal;
      return principal?.kind === 'key' ? `key:${principal.keyId}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (_req, _res, next) => {
      next(
        new SecurityError(
          'RATE_LIMITED',
          `Too many requests: at most ${options.limit} per ${windowMs / 1000} s; retry after the Retry-After seconds.`,
        ),
      );
    },
  });
}
