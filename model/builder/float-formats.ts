import { halfToFloat } from '../generation/float16.js';
/** Element types the builder reads from checkpoints and writes into graphs. */
export type FloatFormat = 'float32' | 'float16' | 'bfloat16';

/** Bytes per element of each format. */
export const FLOAT_FORMAT_BYTES: Readonly<Record<FloatFormat, number>> = { float32: 4, float16: 2, bfloat16: 2 };

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/**
 * Decodes little-endian `format` elements to float32 (bf16 is the top half of a float32; f16 is
 * IEEE half precision, subnormals included).
 *
 * @example
 * decodeFloats(Buffer.from([0x00, 0x3c]), 'float16'); // Float32Array [1]
 */
export function decodeFloats(bytes: Uint8Array, format: FloatFormat): Float32Array {
  const count = bytes.byteLength / FLOAT_FORMAT_BYTES[format];
  if (format === 'float32') {
    // Copy into an aligned buffer of our own: the source may be a slice of a larger read.
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const halves = new Uint16Array(count);
  new Uint8Array(halves.buffer).set(bytes);
  const out = new Float32Array(count);
  if (format === 'bfloat16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = halves[i]! << 16;
    return out;
  }
  return halfToFloat(halves, out);
}

/**
 * Encodes float32 values as little-endian `format` bytes, rounding to nearest even.
 *
 * @example
 * encodeFloats(new Float32Array([1]), 'bfloat16'); // Uint8Array [0x80, 0x3f]
 */
export function encodeFloats(values: Float32Array, format: FloatFormat): Uint8Array {
  if (format === 'float32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint16Array(values.length);
  if (format === 'bfloat16') {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < values.length; i++) {
      const b = bits[i]!;
      if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff)
        out[i] = (b >>> 16) | 0x40; // NaN stays NaN
      else out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  } else {
    for (let i = 0; i < values.length; i++) out[i] = floatToHalfBits(values[i]!);
  }
  return new Uint8Array(out.buffer);
}

/**
 * float32 value → IEEE half bits, round to nearest even; overflow becomes ±Infinity.
 *
 * @example
 * floatToHalfBits(65504); // 0x7bff
 */
export function floatToHalfBits(value: number): number {
  scratch[0] = value;
  const x = scratchBits[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal: shift the mantissa (with its implicit 1) right, rounding to nearest even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}
