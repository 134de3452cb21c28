import { GalenError } from '../../errors/index.js';
import { ApiError } from './api-error.js';
import { statusOfCode } from './error-status.js';

/** Seconds a client is asked to wait (`Retry-After`) when the generation queue is full. */
export const BUSY_RETRY_AFTER_SECONDS = 2;

/** Codes whose 503 asks the client to come back (`Retry-After`). */
const RETRY_LATER = new Set<string>(['BUSY', 'UPSTREAM_UNAVAILABLE', 'QUEUE_FULL']);

/**
 * Any thrown value as the {@link ApiError} the client gets: Galen's errors keep their code and
 * take their status from the one table ({@link ERROR_STATUS}); a 5xx other than 503 says only
 * `INTERNAL` (the log keeps the detail); body-parser's become `INVALID_JSON` / `BODY_TOO_LARGE`;
 * a foreign error that carries its own 4xx `status` keeps it; everything else is a 500
 * `INTERNAL` with no detail (never a stack trace).
 *
 * @example
 * const e = toApiError(new AnswerError('BUSY', 'busy')); // 503, Retry-After: 2
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof GalenError) {
    const status = statusOfCode(error.code);
    if (error.code === 'GENERATION_FAILED') return new ApiError(status, error.code, 'The model failed while answering.');
    if (status >= 500 && status !== 503) return new ApiError(500, 'INTERNAL', 'Internal error.');
    return new ApiError(
      status,
      error.code,
      error.message,
      RETRY_LATER.has(error.code) ? { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) } : {},
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
