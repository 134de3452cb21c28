import type { Response } from 'express';

/**
 * The request's AbortSignal: it fires when the client goes away before the response is finished
 * or when the request time limit stops the request, so retrieval and generation stop instead of
 * working for nobody. The time-limit middleware (mounted for every route in `createApp`) makes it.
 *
 * @example
 * const signal = requestSignal(res);
 * await pipeline.answer({ messages, signal });
 */
export function requestSignal(res: Response): AbortSignal {
  const signal = res.locals.abortSignal;
  if (!signal) throw new Error('requestSignal needs the request time limit mounted before the route.');
  return signal;
}
