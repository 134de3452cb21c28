import { axpy, dot, transpose } from './vector-kernels.js';

/**
 * Dense linear algebra on row-major `Float64Array`s, just what the randomized SVD needs:
 * orthonormalisation and a symmetric eigen-decomposition. Plain loops, no threads, no BLAS, so
 * results are bit-identical across runs and machines.
 */

/**
 * Orthonormalises the columns of a row-major `rows × width` matrix in place by modified
 * Gram–Schmidt, the columns taken left to right. A column that is (numerically) a combination of
 * the ones before it becomes all zeros instead of amplified rounding noise, so a rank-deficient
 * sketch (a corpus smaller than the requested dimension) stays well defined.
 *
 * @example
 * orthonormalizeColumns(y, termCount, 266); // y's columns are now orthonormal (or zero)
 */
export function orthonormalizeColumns(matrix: Float64Array, rows: number, width: number): void {
  // Work column-major: each column contiguous, so the dot products and updates stream memory.
  const cols = transpose(matrix, rows, width);
  for (let j = 0; j < width; j++) {
    const cj = j * rows;
    const original = dot(cols, cj, cols, cj, rows);
    for (let q = 0; q < j; q++) {
      const r = dot(cols, q * rows, cols, cj, rows);
      if (r !== 0) axpy(cols, cj, -r, cols, q * rows, rows);
    }
    const norm = dot(cols, cj, cols, cj, rows);
    // Less than 1e-10 of the column's energy left: it lies in the span of the previous ones.
    if (norm <= original * 1e-20 || norm === 0) {
      cols.fill(0, cj, cj + rows);
      continue;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < rows; i++) cols[cj + i]! *= scale;
  }
  matrix.set(transpose(cols, width, rows));
}

/** `Xᵀ · X` of a row-major `rows × width` matrix: a symmetric `width × width` matrix. */
export function gramMatrix(matrix: Float64Array, rows: number, width: number): Float64Array {
  const cols = transpose(matrix, rows, width);
  const out = new Float64Array(width * width);
  for (let a = 0; a < width; a++) {
    for (let b = a; b < width; b++) {
      const s = dot(cols, a * rows, cols, b * rows, rows);
      out[a * width + b] = s;
      out[b * width + a] = s;
    }
  }
  return out;
}

/**
 * Eigenvalues and eigenvectors of a symmetric `n × n` matrix by cyclic Jacobi rotations, sorted by
 * eigenvalue, largest first. `vectors` is row-major `n × n` with eigenvector `k` in column `k`.
 * Jacobi is slow for big matrices (O(n³) per sweep) but exact to rounding and simple; the matrices
 * here are the sketch width (≈ 270) on a side.
 *
 * @example
 * const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2); // values → [3, 1]
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diagonal = 0;
    for (let p = 0; p < n; p++) {
      diagonal += a[p * n + p]! * a[p * n + p]!;
      for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    }
    if (off <= diagonal * 1e-30 || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        // The rotation angle that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y]! - a[x * n + x]! || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    values[to] = a[from * n + from]!;
    for (let k = 0; k < n; k++) vectors[k * n + to] = v[k * n + from]!;
  });
  return { values, vectors };
}
