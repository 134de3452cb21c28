import { axpy } from './vector-kernels.js';

/**
 * A sparse matrix in compressed-row form (CSR): row `i`'s entries are `columns[rowStart[i] ..
 * rowStart[i + 1])` with `values` at the same places. Rows are texts, columns are terms.
 */
export interface SparseMatrix {
  readonly rows: number;
  readonly columns: number;
  readonly rowStart: Int32Array;
  readonly columnIndex: Int32Array;
  readonly values: Float64Array;
}

/**
 * `A · X` for a sparse `A` (rows × columns) and a dense row-major `X` (columns × width): a dense
 * row-major rows × width matrix. The inner loop runs over a contiguous row of `X`, so the cost is
 * one streaming pass per stored entry.
 *
 * @example
 * const y = multiplySparseDense(a, x, 8); // y.length === a.rows * 8
 */
export function multiplySparseDense(a: SparseMatrix, x: Float64Array, width: number): Float64Array {
  const out = new Float64Array(a.rows * width);
  for (let i = 0; i < a.rows; i++) {
    const o = i * width;
    for (let p = a.rowStart[i]!; p < a.rowStart[i + 1]!; p++) {
      const v = a.values[p]!;
      const xo = a.columnIndex[p]! * width;
      axpy(out, o, v, x, xo, width);
    }
  }
  return out;
}

/**
 * `Aᵀ · Y` for a sparse `A` (rows × columns) and a dense row-major `Y` (rows × width): a dense
 * row-major columns × width matrix, computed by scattering each row of `Y` into the rows of the
 * result its entries name (no transpose of `A` is built).
 *
 * @example
 * const z = multiplySparseTransposedDense(a, y, 8); // z.length === a.columns * 8
 */
export function multiplySparseTransposedDense(a: SparseMatrix, y: Float64Array, width: number): Float64Array {
  const out = new Float64Array(a.columns * width);
  for (let i = 0; i < a.rows; i++) {
    const yo = i * width;
    for (let p = a.rowStart[i]!; p < a.rowStart[i + 1]!; p++) {
      const v = a.values[p]!;
      const o = a.columnIndex[p]! * width;
      axpy(out, o, v, y, yo, width);
    }
  }
  return out;
}
