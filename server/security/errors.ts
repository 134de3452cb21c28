import { GalenError } from '../../errors/index.js';

/** Machine-readable reasons a security check can fail. */
export type SecurityErrorCode =
  | 'KEYS_REQUIRED'
  | 'API_KEY_REQUIRED'
  | 'INVALID_API_KEY'
  | 'REVOKED_API_KEY'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'TOO_MANY_AUTH_FAILURES'
  | 'MISDIRECTED_REQUEST'
  | 'KEY_NOT_FOUND'
  | 'INVALID_ROLE'
  | 'ACCESS_STORE_FAILED'
  | 'CDS_JWT_REQUIRED'
  | 'CDS_JWT_INVALID'
  | 'CDS_JWT_REPLAYED'
  | 'CDS_ISSUERS_INVALID';

/**
 * A refused request or a refused start, with a stable `code` and the HTTP `status` it answers as
 * (the app's error handler turns it into `{"error":{"code","message"}}`).
 */
export class SecurityError extends GalenError<SecurityErrorCode> {
  override readonly name = 'SecurityError';
}
