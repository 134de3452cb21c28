const exponentTable = new Float32Array(32).map((_, e) => 2 ** (e - 15));

/**
 * Converts IEEE-754 half floats (as Uint16Array bits) to float32 — float16 graphs may return
 * float16 logits, and Node 20 has no Float16Array.
 *
 * @example
 * halfToFloat(new Uint16Array([0x3c00]), new Float32Array(1)); // Float32Array [1]
 */
export function halfToFloat(bits: Uint16Array, out: Float32Array): Float32Array {
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) out[i] = sign * m * 2 ** -24;
    else if (e === 31) out[i] = m ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else out[i] = sign * exponentTable[e]! * (1 + m / 1024);
  }
  return out;
}
