import { GalenError } from '../../errors/index.js';

/** Machine-readable reasons a model build can fail. */
export type ModelBuildErrorCode =
  /** An input path (checkpoint, adapter, tokenizer, shape file) does not exist. */
  | 'INPUT_NOT_FOUND'
  /** A checkpoint or config is malformed, truncated or inconsistent. */
  | 'INVALID_CHECKPOINT'
  /** The input is valid but uses something the builder does not support (pickle weights, RoPE scaling…). */
  | 'UNSUPPORTED'
  /** A LoRA adapter is malformed, or does not fit the base model (unknown module, shape, rank). */
  | 'INVALID_ADAPTER'
  /** A build option is out of range or contradicts another. */
  | 'INVALID_OPTIONS'
  /** The output directory exists (and overwriting was not asked for). */
  | 'OUTPUT_EXISTS'
  /** The build was cancelled through its AbortSignal; nothing was written. */
  | 'ABORTED';

/**
 * A model-build failure with a stable `code`. Whenever it is thrown, the output directory has not
 * been created or changed.
 *
 * @example
 * try { await buildModel({ from: 'ckpt', out: 'm' }); }
 * catch (e) { if (e instanceof ModelBuildError && e.code === 'INVALID_ADAPTER') console.error(e.message); }
 */
export class ModelBuildError extends GalenError<ModelBuildErrorCode> {
  override readonly name = 'ModelBuildError';
}
