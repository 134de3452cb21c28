import { GalenError } from '../../errors/index.js';

/** Machine-readable reasons an answer can fail. */
export type AnswerErrorCode =
  /** The conversation is unusable (no user question last, empty text). HTTP 400. */
  | 'INVALID_REQUEST'
  /** A retriever was asked for that this server does not have. HTTP 400. */
  | 'UNKNOWN_SOURCE'
  /** The generation queue is full; retry later. HTTP 503 with Retry-After. */
  | 'BUSY'
  /** The server is shutting down or the model is closed. HTTP 503. */
  | 'UNAVAILABLE'
  /** No serving engine can take the request (every upstream down). HTTP 503 with Retry-After. */
  | 'UPSTREAM_UNAVAILABLE'
  /** The model failed while generating. HTTP 500. */
  | 'GENERATION_FAILED'
  /** The request's signal fired (the client went away, or its time ran out) before the answer was done. */
  | 'ABORTED';

/**
 * A failure of the answer pipeline with a stable `code` the HTTP layer maps to a status.
 *
 * @example
 * try { await pipeline.answer(request); }
 * catch (e) { if (e instanceof AnswerError && e.code === 'BUSY') retryLater(); }
 */
export class AnswerError extends GalenError<AnswerErrorCode> {
  override readonly name = 'AnswerError';
}
