import { describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-node';
import { halfToFloat } from '../../model/generation/float16.js';
import type { GraphSignature } from '../../model/generation/graph-signature.js';
import { KvCache } from '../../model/generation/kv-cache.js';

const signature = (kvDtype: 'float32' | 'float16'): GraphSignature => ({
  numLayers: 1,
  numKeyValueHeads: 2,
  headDim: 2,
  kvDtype,
  logitsDtype: 'float32',
  hasPositionIds: true,
  hasUseCacheBranch: false,
  pastNames: [['past_key_values.0.key', 'past_key_values.0.value']],
  presentNames: [['present.0.key', 'present.0.value']],
});

/** A cache of `batch` rows, `length` positions, values numbered from `base` (heads 2, head size 2). */
function cache(sig: GraphSignature, batch: number, length: number, base: number): KvCache {
  const make = (offset: number) => {
    const n = batch * 2 * length * 2;
    const values = Array.from({ length: n }, (_, i) => base + offset + i);
    return sig.kvDtype === 'float16'
      ? new Tensor('float16', Uint16Array.from(values), [batch, 2, length, 2])
      : new Tensor('float32', Float32Array.from(values), [batch, 2, length, 2]);
  };
  return KvCache.fromOutputs(sig, { 'present.0.key': make(0), 'present.0.value': make(1000) }, batch);
}

function data(c: KvCache, name: string): number[] {
  const feeds: Record<string, Tensor> = {};
  c.addFeeds(feeds);
  return Array.from(feeds[name]!.data as Float32Array | Uint16Array);
}

describe('KvCache', () => {
  for (const dtype of ['float32', 'float16'] as const) {
    it(`packs rows right-aligned with zero padding (${dtype})`, () => {
      const sig = signature(dtype);
      const a = cache(sig, 1, 3, 1); // one row, 3 positions
      const b = cache(sig, 2, 2, 100); // two rows, 2 positions
      // Row 0: a's row (3 real); row 1: b's row 1, only its last position is real.
      const packed = KvCache.pack(sig, [{ cache: a, row: 0, length: 3 }, { cache: b, row: 1, length: 1 }], 3);
      expect(packed.batchSize).toBe(2);
      expect(packed.length).toBe(3);
      const keys = data(packed, 'past_key_values.0.key');
      // [row][head][pos][dim]; a = 1..12; b row 1 starts at 100 + 8, head stride 4, last position at +2.
      expect(keys.slice(0, 12)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(keys.slice(12, 24)).toEqual([0, 0, 0, 0, 110, 111, 0, 0, 0, 0, 114, 115]);
      expect(data(packed, 'past_key_values.0.value')[4]).toBe(1005);
      expect(packed.byteLength).toBe(2 * 24 * (dtype === 'float16' ? 2 : 4));
    });
  }

  it('an empty cache has zero positions', () => {
    const c = KvCache.empty(signature('float16'), 3);
    const feeds: Record<string, Tensor> = {};
    c.addFeeds(feeds);
    expect(feeds['past_key_values.0.key']!.dims).toEqual([3, 2, 0, 2]);
    expect(feeds['past_key_values.0.key']!.type).toBe('float16');
  });
});

describe('halfToFloat', () => {
  it('converts normals, subnormals, zeros, infinities and NaN', () => {
    const out = halfToFloat(Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555]), new Float32Array(10));
    expect(Array.from(out.subarray(0, 8))).toEqual([1, -2, 65504, 2 ** -24, 0, -0, Infinity, -Infinity]);
    expect(out[8]).toBeNaN();
    expect(out[9]).toBeCloseTo(0.333, 3);
  });
});
