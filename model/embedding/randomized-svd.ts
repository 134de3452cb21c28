import { gramMatrix, orthonormalizeColumns, symmetricEigen } from './dense-linear-algebra.js';
import { axpy, dot, transpose } from './vector-kernels.js';
import { SeededGaussian } from './seeded-gaussian.js';
import { multiplySparseDense, multiplySparseTransposedDense, type SparseMatrix } from './sparse-matrix.js';

/** Options of {@link randomizedSvd}. */
export interface RandomizedSvdOptions {
  /** Number of singular triplets wanted. Required. */
  rank: number;
  /** Extra sketch columns beyond `rank`; more gives more accurate trailing components. Default 10. */
  oversampling?: number;
  /** Power (subspace) iterations; each sharpens the spectrum's decay at two sparse products' cost. Default 2. */
  powerIterations?: number;
  /** Seed of the Gaussian test matrix. Default 1. */
  seed?: number;
}

/** The top right singular vectors of a matrix and their singular values. */
export interface TruncatedSvd {
  /** How many components were found (`rank`, or fewer when the matrix is smaller). */
  rank: number;
  /** Singular values, largest first. */
  singularValues: Float64Array;
  /** Right singular vectors as a row-major `columns × rank` matrix (vector `k` in column `k`). */
  rightVectors: Float64Array;
}

/**
 * Truncated SVD of a sparse matrix by the randomized range finder of Halko, Martinsson and Tropp
 * (2011, Algorithms 4.4 and 5.1), applied to `Aᵀ` so that every dense matrix is either
 * `columns × width` or `rows × width` and only the small `width × width` problem is solved exactly:
 *
 * 1. `Y = Aᵀ Ω` with a seeded Gaussian `Ω` (rows × width, drawn one row at a time, never stored);
 * 2. `powerIterations` times: `Q = orth(Y)`, `Y = Aᵀ (A Q)`;
 * 3. `Q = orth(Y)`, `C = A Q`, eigen-decompose `Cᵀ C = W Λ Wᵀ`; then `σ = √λ` and `V = Q W`.
 *
 * Deterministic: the same matrix and options give bit-identical output (fixed operation order,
 * seeded draws, eigenvector signs fixed so each vector's largest entry is positive).
 *
 * @example
 * const { singularValues, rightVectors } = randomizedSvd(tfidf, { rank: 256, seed: 1 });
 */
export function randomizedSvd(a: SparseMatrix, options: RandomizedSvdOptions): TruncatedSvd {
  const rank = Math.min(options.rank, a.rows, a.columns);
  const width = Math.min(rank + (options.oversampling ?? 10), a.rows, a.columns);
  const iterations = options.powerIterations ?? 2;
  const gaussian = new SeededGaussian(options.seed ?? 1);

  // Y = Aᵀ Ω, drawing Ω's rows in order so the draws do not depend on the matrix's sparsity.
  let y: Float64Array = new Float64Array(a.columns * width);
  const omegaRow = new Float64Array(width);
  for (let i = 0; i < a.rows; i++) {
    gaussian.fill(omegaRow);
    for (let p = a.rowStart[i]!; p < a.rowStart[i + 1]!; p++) {
      const v = a.values[p]!;
      const o = a.columnIndex[p]! * width;
      axpy(y, o, v, omegaRow, 0, width);
    }
  }
  for (let it = 0; it < iterations; it++) {
    orthonormalizeColumns(y, a.columns, width);
    y = multiplySparseTransposedDense(a, multiplySparseDense(a, y, width), width);
  }
  orthonormalizeColumns(y, a.columns, width);
  const q = y;
  const c = multiplySparseDense(a, q, width);
  const { values, vectors: w } = symmetricEigen(gramMatrix(c, a.rows, width), width);

  const singularValues = new Float64Array(rank);
  for (let k = 0; k < rank; k++) singularValues[k] = Math.sqrt(Math.max(0, values[k]!));
  // V = Q W[:, :rank], as dot products of Q's rows with W's columns (Wᵀ's rows).
  const wt = transpose(w, width, width);
  const rightVectors = new Float64Array(a.columns * rank);
  for (let t = 0; t < a.columns; t++) {
    for (let k = 0; k < rank; k++) rightVectors[t * rank + k] = dot(q, t * width, wt, k * width, width);
  }
  fixSigns(rightVectors, a.columns, rank);
  return { rank, singularValues, rightVectors };
}

/** Flips each column so its largest-magnitude entry is positive: an SVD is unique only up to sign. */
function fixSigns(matrix: Float64Array, rows: number, width: number): void {
  for (let k = 0; k < width; k++) {
    let best = 0;
    for (let i = 0; i < rows; i++) if (Math.abs(matrix[i * width + k]!) > Math.abs(best)) best = matrix[i * width + k]!;
    if (best < 0) for (let i = 0; i < rows; i++) matrix[i * width + k] = -matrix[i * width + k]!;
  }
}
