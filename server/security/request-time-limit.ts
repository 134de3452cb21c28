import type { RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Locals {
      /**
       * Aborted when the request runs out of time (after the 503 is sent) or the client goes away:
       * long work (retrieval, generation) should stop when it fires.
       */
      abortSignal?: AbortSignal;
    }
  }
}

/** How long a request may take. */
export interface RequestTimeLimitOptions {
  /** Time from arrival to the response's first byte, ms. */
  ms: number;
}

const timers = new WeakMap<Response, NodeJS.Timeout>();

/**
 * Middleware that answers 503 `REQUEST_TIMEOUT` when a request has not started its response
 * within `ms`, and aborts `res.locals.abortSignal` so the route can stop working. A response that
 * has started (a stream) is left to finish; the signal still fires if the client disconnects.
 *
 * @example
 * app.use(limitRequestTime({ ms: 30_000 }));
 */
export function limitRequestTime(options: RequestTimeLimitOptions): RequestHandler {
  return (_req, res, next) => {
    const controller = new AbortController();
    res.locals.abortSignal = controller.signal;
    res.once('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) controller.abort(new Error('The client went away.'));
    });
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res
        .status(503)
        .set('Connection', 'close')
        .json({
          error: { code: 'REQUEST_TIMEOUT', message: `The request took longer than ${options.ms} ms and was stopped.` },
        });
      controller.abort(new Error('The request ran out of time.'));
    }, options.ms);
    timer.unref();
    timers.set(res, timer);
    next();
  };
}

/**
 * Lifts the time limit from one request, for routes bounded otherwise (an upload: by its size
 * limit and Node's own request timeout). The abort signal still fires if the client goes away.
 *
 * @example
 * app.post('/v1/knowledge/ingest', (req, res) => { liftTimeLimit(res); ... });
 */
export function liftTimeLimit(res: Response): void {
  clearTimeout(timers.get(res));
  timers.delete(res);
}
