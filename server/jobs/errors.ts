import { GalenError } from '../../errors/index.js';

/** Machine-readable reasons a job or an upload can fail. */
export type JobErrorCode =
  | 'JOB_NOT_FOUND'
  | 'JOB_FINISHED'
  | 'QUEUE_FULL'
  | 'QUEUE_CLOSED'
  | 'CANCELLED'
  | 'UPLOAD_TOO_LARGE'
  | 'INVALID_UPLOAD'
  | 'UPLOAD_TIMEOUT'
  | 'UNSUPPORTED_MEDIA_TYPE';

/** A job or upload failure with a stable `code` and the HTTP `status` it answers as. */
export class JobError extends GalenError<JobErrorCode> {
  override readonly name = 'JobError';
}
