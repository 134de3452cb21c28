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
 * Classifies anything a wikijs call rejected with. wikijs throws plain `Error`s: `"503: Service
 * Unavailable"` for HTTP statuses, the API's `error.info` for API errors, a `SyntaxError` (via
 * `res.json()`) for non-JSON bodies and node-fetch's `FetchError` for network trouble.
 *
 * @example
 * toWikipediaError(new Error('503: Service Unavailable')).code // → 'HTTP_STATUS'
 */
export function toWikipediaError(error: unknown): WikipediaError {
  if (error instanceof WikipediaError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SyntaxError || (error instanceof Error && (error as { type?: string }).type === 'invalid-json')) {
    return new WikipediaError('BAD_RESPONSE', `not JSON: ${message}`, { cause: error });
  }
  if (error instanceof Error && error.name === 'FetchError') {
    return new WikipediaError('NETWORK', message, { cause: error });
  }
  if (/^\d{3}: /.test(message)) return new WikipediaError('HTTP_STATUS', message, { cause: error });
  return new WikipediaError('API_ERROR', message, { cause: error });
}
