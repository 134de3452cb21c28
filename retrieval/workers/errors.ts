import { GalenError } from '../../errors/index.js';

/** Why the retrieval worker pool failed. */
export type RetrievalWorkerErrorCode = 'INVALID_OPTIONS' | 'START_FAILED' | 'WORKER_CRASHED' | 'FAILED' | 'UNAVAILABLE' | 'CLOSED';

/** An error of the retrieval worker pool, with a stable `code`. */
export class RetrievalWorkerError extends GalenError<RetrievalWorkerErrorCode> {
  override readonly name = 'RetrievalWorkerError';
}
