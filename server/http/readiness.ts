import type { AppContext } from './app-context.js';
import { ApiError } from './api-error.js';

/** Seconds a client is asked to wait while the server is starting. */
const STARTING_RETRY_AFTER_SECONDS = 5;

/**
 * Throws a 503 `NOT_READY` (with `Retry-After`) while the server cannot answer yet: the seed corpus
 * is still going in, or the server is shutting down.
 *
 * @example
 * app.post('/v1/chat', (req, res) => { assertReady(ctx); … });
 */
export function assertReady(ctx: AppContext): void {
  const unready = ctx.unreadiness();
  if (!unready) return;
  throw new ApiError(503, 'NOT_READY', `Galen is not ready to answer: ${unready.reason}.`, {
    'Retry-After': String(STARTING_RETRY_AFTER_SECONDS),
  });
}
