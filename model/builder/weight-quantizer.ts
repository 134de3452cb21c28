/** Weight-only quantisations the builder writes (onnxruntime `MatMulNBits`). */
export type WeightQuantization = 'int8' | 'int4';

/** A `[N, K]` matrix in `MatMulNBits` layout. */
export interface QuantizedMatrix {
  /** `[N, blocks, blockSize · bits / 8]` packed unsigned values (zero point 2^(bits-1)). */
  data: Uint8Array;
  /** `[N · blocks]` one scale per block. */
  scales: Float32Array;
  blocks: number;
  bits: 4 | 8;
}

/** Values per quantisation block along K. */
export const QUANT_BLOCK_SIZE = 32;

/**
 * Round-to-nearest symmetric blockwise quantisation of a `[n, k]` row-major matrix (rows are
 * output features, as `MatMulNBits` wants): each block of 32 values along K gets
 * scale = max|w| / (2^(bits-1) − 1) and stores q = round(w / scale) + 2^(bits-1); 4-bit values
 * are packed two per byte, low nibble first. K is padded with zeros to whole blocks.
 *
 * @example
 * const q = quantizeMatrix(weight, 576, 576, 'int4'); // q.data.length = 576 * 18 * 16
 */
export function quantizeMatrix(w: Float32Array, n: number, k: number, kind: WeightQuantization): QuantizedMatrix {
  const bits = kind === 'int4' ? 4 : 8;
  const blocks = Math.ceil(k / QUANT_BLOCK_SIZE);
  const blob = (QUANT_BLOCK_SIZE * bits) / 8;
  const zero = 1 << (bits - 1);
  const maxQ = zero - 1;
  const data = new Uint8Array(n * blocks * blob);
  const scales = new Float32Array(n * blocks);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < blocks; b++) {
      const start = row * k + b * QUANT_BLOCK_SIZE;
      const end = row * k + Math.min(k, (b + 1) * QUANT_BLOCK_SIZE);
      let absMax = 0;
      for (let i = start; i < end; i++) absMax = Math.max(absMax, Math.abs(w[i]!));
      const scale = absMax / maxQ;
      scales[row * blocks + b] = scale;
      const inverse = scale === 0 ? 0 : 1 / scale;
      const out = (row * blocks + b) * blob;
      for (let j = 0; j < QUANT_BLOCK_SIZE; j++) {
        const i = start + j;
        const q = i < end ? Math.max(-maxQ, Math.min(maxQ, Math.round(w[i]! * inverse))) + zero : zero;
        if (bits === 8) data[out + j] = q;
        else data[out + (j >> 1)]! |= j & 1 ? q << 4 : q;
      }
    }
  }
  return { data, scales, blocks, bits };
}
