import { GalenError } from '../../errors/index.js';

/** Machine-readable reasons an evaluation can fail. */
export type EvaluationErrorCode =
  /** The set file does not exist or cannot be read. */
  | 'SET_NOT_FOUND'
  /** A line of the set file is not a valid question (the message names the file and line). */
  | 'INVALID_SET'
  /** An option is out of range (k, limit…). */
  | 'INVALID_OPTIONS';

/**
 * A failure of a retrieval evaluation with a stable `code`.
 *
 * @example
 * try { await loadEvalSet('missing.jsonl'); }
 * catch (e) { if (e instanceof EvaluationError && e.code === 'SET_NOT_FOUND') … }
 */
export class EvaluationError extends GalenError<EvaluationErrorCode> {
  override readonly name = 'EvaluationError';
}
