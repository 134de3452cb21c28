import { GalenError } from '../../errors/index.js';

/** Machine-readable reasons a call to a MediaWiki API failed. */
export type WikipediaErrorCode =
  /** The connection failed (refused, reset, DNS). */
  | 'NETWORK'
  /** The server answered with a non-2xx HTTP status. */
  | 'HTTP_STATUS'
  /** The body was not JSON, or JSON of an unexpected shape (an HTML error page, a proxy's answer). */
  | 'BAD_RESPONSE'
  /** The API answered with its own `error` object (bad parameter, disabled module). */
  | 'API_ERROR'
  /** The time budget ran out. */
  | 'TIMEOUT';

/**
 * A failure talking to a wiki. The retriever catches these and reports a status instead; the
 * code says which status and what to log.
 */
export class WikipediaError extends GalenError<WikipediaErrorCode> {
  override readonly name = 'WikipediaError';
}

/**
 * Classifies anything a call to the wiki rejected with: a `WikipediaError` stays as it is, an
 * abort or timeout (`AbortError`, `TimeoutError`) is `TIMEOUT`, a `SyntaxError` is `BAD_RESPONSE`,
 * a socket error (it has an `errno` code such as `ECONNREFUSED`) is `NETWORK`, and a message
 * like `"503: Service Unavailable"` is `HTTP_STATUS`; anything else is `API_ERROR`.
 *
 * @example
 * toWikipediaError(new Error('503: Service Unavailable')).code // → 'HTTP_STATUS'
 */
export function toWikipediaError(error: unknown): WikipediaError {
  if (error instanceof WikipediaError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  if (name === 'AbortError' || name === 'TimeoutError') return new WikipediaError('TIMEOUT', message, { cause: error });
  if (error instanceof SyntaxError) return new WikipediaError('BAD_RESPONSE', `not JSON: ${message}`, { cause: error });
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && 'syscall' in error) {
    return new WikipediaError('NETWORK', message, { cause: error });
  }
  if (/^\d{3}: /.test(message)) return new WikipediaError('HTTP_STATUS', message, { cause: error });
  return new WikipediaError('API_ERROR', message, { cause: error });
}
