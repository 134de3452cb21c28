import { floatToHalfBits } from './float-formats.js';

/** Elements per ggml quantisation block (Q8_0 and Q4_0). */
export const GGML_BLOCK = 32;

/**
 * Rows of float32 values in ggml's Q8_0 blocks (llama.cpp's reference `quantize_row_q8_0`): per 32
 * values a float16 scale d = max|x| / 127 and 32 int8 round(x / d). 34 bytes a block.
 *
 * @example
 * quantizeQ8_0(new Float32Array(64)).length; // 68
 */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  const blocks = checkBlocks(values.length);
  const out = new Uint8Array(blocks * 34);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const x = values.subarray(b * GGML_BLOCK, (b + 1) * GGML_BLOCK);
    let amax = 0;
    for (const v of x) amax = Math.max(amax, Math.abs(v));
    const d = Math.fround(amax / 127);
    const id = d ? 1 / d : 0;
    view.setUint16(b * 34, floatToHalfBits(d), true);
    for (let j = 0; j < GGML_BLOCK; j++) view.setInt8(b * 34 + 2 + j, roundAway(x[j]! * id));
  }
  return out;
}

/**
 * Rows of float32 values in ggml's Q4_0 blocks (reference `quantize_row_q4_0`): per 32 values a
 * float16 scale d = m / -8 (m the value of largest magnitude, sign kept) and 16 bytes of 4-bit
 * q = min(15, ⌊x / d + 8.5⌋), value j in the low nibble of byte j and value j + 16 in its high one.
 *
 * @example
 * quantizeQ4_0(new Float32Array(32)).length; // 18
 */
export function quantizeQ4_0(values: Float32Array): Uint8Array {
  const blocks = checkBlocks(values.length);
  const out = new Uint8Array(blocks * 18);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const x = values.subarray(b * GGML_BLOCK, (b + 1) * GGML_BLOCK);
    let amax = 0;
    let max = 0;
    for (const v of x)
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    const d = Math.fround(max / -8);
    const id = d ? 1 / d : 0;
    view.setUint16(b * 18, floatToHalfBits(d), true);
    for (let j = 0; j < GGML_BLOCK / 2; j++) {
      const lo = Math.min(15, Math.trunc(x[j]! * id + 8.5));
      const hi = Math.min(15, Math.trunc(x[j + 16]! * id + 8.5));
      out[b * 18 + 2 + j] = lo | (hi << 4);
    }
  }
  return out;
}

/**
 * Q8_0 or Q4_0 blocks back to float32 (what llama.cpp computes with), for checks.
 *
 * @example
 * dequantizeGgml(quantizeQ8_0(x), 'q8_0'); // ≈ x
 */
export function dequantizeGgml(bytes: Uint8Array, format: 'q8_0' | 'q4_0'): Float32Array {
  const size = format === 'q8_0' ? 34 : 18;
  const blocks = bytes.length / size;
  const out = new Float32Array(blocks * GGML_BLOCK);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let b = 0; b < blocks; b++) {
    const d = halfBitsToFloat(view.getUint16(b * size, true));
    for (let j = 0; j < GGML_BLOCK; j++) {
      if (format === 'q8_0') out[b * GGML_BLOCK + j] = view.getInt8(b * size + 2 + j) * d;
      else {
        const byte = bytes[b * size + 2 + (j % 16)]!;
        out[b * GGML_BLOCK + j] = ((j < 16 ? byte & 0x0f : byte >> 4) - 8) * d;
      }
    }
  }
  return out;
}

function checkBlocks(length: number): number {
  if (length % GGML_BLOCK !== 0) throw new Error(`${length} values are not a whole number of ${GGML_BLOCK}-value blocks`);
  return length / GGML_BLOCK;
}

/** C's roundf: halves away from zero. */
function roundAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
