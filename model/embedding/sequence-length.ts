import { ModelError } from '../generation/errors.js';

/** What decides an encoder's longest input. */
export interface SequenceLengthSources {
  /** The caller's option; checked, never clamped. */
  requested: number | undefined;
  /** What the model's files say (or the default), clamped to `maxPositionEmbeddings`. */
  fromFiles: number;
  /** config.json `max_position_embeddings`, when it says. */
  maxPositionEmbeddings: number | undefined;
  /** Special tokens every input carries; at least one more token must fit. */
  specialTokens: number;
  /** The model directory, for the error message. */
  path: string;
}

/**
 * The longest input in tokens: the requested length when it is an integer with room for a token
 * beside the special tokens and within the position embeddings (else an `INVALID_OPTIONS`
 * {@link ModelError}), otherwise the files' length clamped to that range.
 *
 * @example
 * resolveMaxSequenceLength({ requested: undefined, fromFiles: 512, maxPositionEmbeddings: 512, specialTokens: 2, path: dir }); // 512
 */
export function resolveMaxSequenceLength(s: SequenceLengthSources): number {
  const positions = s.maxPositionEmbeddings ?? Number.POSITIVE_INFINITY;
  if (s.requested !== undefined) {
    if (!Number.isInteger(s.requested) || s.requested <= s.specialTokens || s.requested > positions) {
      throw new ModelError(
        'INVALID_OPTIONS',
        `maxSequenceLength must be an integer in ${s.specialTokens + 1}…${positions} for ${s.path} (got ${s.requested})`,
      );
    }
    return s.requested;
  }
  return Math.max(s.specialTokens + 1, Math.min(s.fromFiles, positions));
}
