import { AnswerError } from '../answer/index.js';
import { JobError } from '../jobs/index.js';
import { ApiError } from './api-error.js';

/** Seconds a client is asked to wait (`Retry-After`) when the generation queue is full. */
export const BUSY_RETRY_AFTER_SECONDS = 2;

const ANSWER_STATUS: Record<AnswerError['code'], number> = {
  INVALID_REQUEST: 400,
  UNKNOWN_SOURCE: 400,
  BUSY: 503,
  UNAVAILABLE: 503,
  UPSTREAM_UNAVAILABLE: 503,
  GENERATION_FAILED: 500,
  // nginx's "client closed request": nobody reads it, but logs and metrics tell it from a failure.
  ABORTED: 499,
};

/**
 * Any thrown value as the {@link ApiError} the client gets: our typed errors keep their code,
 * body-parser's become `INVALID_JSON` / `BODY_TOO_LARGE`, errors that carry their own 4xx
 * `status` and `code` (security) keep them, job errors keep theirs (503 too), and everything else is a 500 `INTERNAL` with no
 * detail (never a stack trace).
 *
 * @example
 * const e = toApiError(new AnswerError('BUSY', 'busy')); // 503, Retry-After: 2
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  // Job errors carry their status, 503s included (a full or closed queue).
  if (error instanceof JobError) return new ApiError(error.status, error.code, error.message);
  if (error instanceof AnswerError) {
    const status = ANSWER_STATUS[error.code];
    if (status >= 500 && error.code === 'GENERATION_FAILED') return new ApiError(status, error.code, 'The model failed while answering.');
    return new ApiError(
      status,
      error.code,
      error.message,
      error.code === 'BUSY' || error.code === 'UPSTREAM_UNAVAILABLE' ? { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) } : {},
    );
  }
  const e = error as {
    type?: string;
    status?: number;
    statusCode?: number;
    code?: unknown;
    message?: string;
    headers?: Record<string, string>;
  };
  if (e?.type === 'entity.parse.failed') return new ApiError(400, 'INVALID_JSON', 'The request body is not valid JSON.');
  if (e?.type === 'entity.too.large') return new ApiError(413, 'BODY_TOO_LARGE', 'The request body is too large.');
  if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported')
    return new ApiError(415, 'UNSUPPORTED_ENCODING', e.message ?? 'Unsupported encoding.');
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, typeof e.code === 'string' ? e.code : 'BAD_REQUEST', e.message ?? 'Bad request.');
  }
  return new ApiError(500, 'INTERNAL', 'Internal error.');
}
