import type { Response } from 'express';

/**
 * An AbortSignal that fires when the client goes away before the response is finished (or when
 * the request time limit, if one is mounted, stops the request), so retrieval and generation stop
 * instead of working for nobody.
 *
 * @example
 * const signal = requestSignal(res);
 * await pipeline.answer({ messages, signal });
 */
export function requestSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('The client went away.'));
  });
  const limit = res.locals.abortSignal as AbortSignal | undefined;
  return limit ? AbortSignal.any([controller.signal, limit]) : controller.signal;
}
