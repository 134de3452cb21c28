/** An HTTP error answered as `{"error":{"code","message"}}`, with extra headers (e.g. `Retry-After`) when given. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
