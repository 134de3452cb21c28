/**
 * How token vectors become one sentence vector (sentence-transformers' Pooling module):
 * `mean` averages the vectors of the real tokens (special tokens included, padding excluded);
 * `cls` takes the first token's.
 */
export type PoolingMode = 'mean' | 'cls';

/**
 * Pools one sequence of a `[batch, sequence, hidden]` row-major tensor whose first `length`
 * positions are real tokens (right padding), and L2-normalises the result (a zero vector stays
 * zero). Sums in float64, so the result does not depend on the padding after `length`.
 *
 * @example
 * poolSequence(hidden, { row: 1, sequence: 7, hidden: 384, length: 5 }, 'mean'); // Float32Array(384), unit norm
 */
export function poolSequence(
  states: Float32Array,
  shape: { row: number; sequence: number; hidden: number; length: number },
  mode: PoolingMode,
): Float32Array {
  const { row, sequence, hidden, length } = shape;
  const base = row * sequence * hidden;
  const sum = new Float64Array(hidden);
  const count = mode === 'cls' ? Math.min(1, length) : length;
  for (let t = 0; t < count; t++) {
    const offset = base + t * hidden;
    for (let j = 0; j < hidden; j++) sum[j]! += states[offset + j]!;
  }
  return normalized(sum);
}

/**
 * `vector / ‖vector‖₂` as float32; the zero vector (and a vector with a non-finite entry, which a
 * broken graph could produce) becomes all zeros.
 *
 * @example
 * normalized(Float64Array.of(3, 4)); // Float32Array [0.6, 0.8]
 */
export function normalized(vector: ArrayLike<number>): Float32Array {
  let squares = 0;
  for (let j = 0; j < vector.length; j++) squares += vector[j]! * vector[j]!;
  const out = new Float32Array(vector.length);
  if (!(squares > 0) || !Number.isFinite(squares)) return out;
  const inverse = 1 / Math.sqrt(squares);
  for (let j = 0; j < vector.length; j++) out[j] = vector[j]! * inverse;
  return out;
}
