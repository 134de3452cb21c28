import { GalenError } from '../../errors/index.js';

/** Machine-readable reasons a model operation can fail. */
export type ModelErrorCode =
  /** The model directory, or a file it must hold, does not exist. */
  | 'MODEL_NOT_FOUND'
  /** A model file exists but is malformed or inconsistent (config vs graph, missing inputs…). */
  | 'INVALID_MODEL'
  /** The requested execution provider (e.g. CUDA) cannot be loaded on this machine. */
  | 'EXECUTION_PROVIDER_UNAVAILABLE'
  /** A generation or load option is out of range. */
  | 'INVALID_OPTIONS'
  /** The request queue is full; retry later (HTTP 503). */
  | 'BUSY'
  /** The model was closed; no new requests are accepted. */
  | 'CLOSED'
  /** The runtime (onnxruntime, or a remote engine after it began answering) failed while generating. */
  | 'GENERATION_FAILED'
  /** No serving engine can take the request (every upstream down or taken out); retry later (HTTP 503). */
  | 'UNAVAILABLE';

/**
 * A failure in the model layer with a stable `code`, so callers (CLI, HTTP) can map it to an
 * exit status or a 4xx/5xx without parsing messages.
 *
 * @example
 * try { await loadLanguageModel(dir); }
 * catch (e) { if (e instanceof ModelError && e.code === 'MODEL_NOT_FOUND') process.exit(2); }
 */
export class ModelError extends GalenError<ModelErrorCode> {
  override readonly name = 'ModelError';
}
