import { GalenError } from '../../errors/index.js';
/** An HTTP error answered as `{"error":{"code","message"}}`, with extra headers (e.g. `Retry-After`) when given. */
export class ApiError extends GalenError {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, message);
  }
}
