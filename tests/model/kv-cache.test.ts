import { describe, expect, it } from 'vitest';
import type { Tensor } from 'onnxruntime-node';
import { halfToFloat } from '../../model/generation/float16.js';
import type { GraphSignature } from '../../model/generation/graph-signature.js';
import { KvCache, type KvData } from '../../model/generation/kv-cache.js';

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
  presentLayout: 'concat',
});

/** New values for `rows` rows × 2 heads × `positions` × 2 dims, numbered from `base` (values +1000). */
function output(sig: GraphSignature, rows: number, positions: number, base: number): KvData[] {
  return [0, 1000].map((offset) => {
    const values = Array.from({ length: rows * 2 * positions * 2 }, (_, i) => base + offset + i);
    return sig.kvDtype === 'float16' ? Uint16Array.from(values) : Float32Array.from(values);
  });
}

/** A one-row cache holding `length` positions numbered from `base`, as a prefill leaves it. */
function prefilled(sig: GraphSignature, length: number, base: number, growth: number): KvCache {
  const kv = new KvCache(sig, { growth });
  kv.addRow();
  kv.append(output(sig, 1, length, base), { positions: length, starts: [0] }, length);
  return kv;
}

function past(c: KvCache): { key: Tensor; value: Tensor } {
  const feeds: Record<string, Tensor> = {};
  c.addFeeds(feeds);
  return { key: feeds['past_key_values.0.key']!, value: feeds['past_key_values.0.value']! };
}

/** Row `row`, head `head`: the real positions' values, flattened. */
function positions(c: KvCache, row: number, head: number, kind: 'key' | 'value' = 'key'): number[] {
  const data = past(c)[kind].data as KvData;
  const start = (row * 2 + head) * c.capacity * 2;
  return Array.from(data.subarray(start, start + c.lengths[row]! * 2));
}

describe('KvCache', () => {
  for (const dtype of ['float32', 'float16'] as const) {
    it(`appends new positions in place, grows capacity in steps and masks the unused tail (${dtype})`, () => {
      const sig = signature(dtype);
      const kv = new KvCache(sig, { growth: 4 });
      kv.addRow();
      expect(past(kv).key.dims).toEqual([1, 2, 0, 2]);
      expect(past(kv).key.type).toBe(dtype);
      kv.append(output(sig, 1, 3, 1), { positions: 3, starts: [0] }, 3); // a 3-token prefill
      expect(kv.capacity).toBe(4);
      expect(kv.lengths).toEqual([3]);
      expect(positions(kv, 0, 0)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(positions(kv, 0, 1)).toEqual([7, 8, 9, 10, 11, 12]);
      expect(positions(kv, 0, 1, 'value')).toEqual([1007, 1008, 1009, 1010, 1011, 1012]);
      expect(Array.from(kv.attentionMask(1))).toEqual([1n, 1n, 1n, 0n, 1n]);

      // present.* layout: the new position is the last of past capacity + 1.
      kv.append(output(sig, 1, 5, 100), { positions: 5, starts: [4] }, 1);
      expect(kv.capacity).toBe(4);
      expect(positions(kv, 0, 0)).toEqual([1, 2, 3, 4, 5, 6, 108, 109]);
      expect(positions(kv, 0, 1)).toEqual([7, 8, 9, 10, 11, 12, 118, 119]);

      kv.append(output(sig, 1, 1, 50), { positions: 1, starts: [0] }, 1); // past capacity: re-laid out
      expect(kv.capacity).toBe(8);
      expect(kv.lengths).toEqual([5]);
      expect(positions(kv, 0, 1)).toEqual([7, 8, 9, 10, 11, 12, 118, 119, 52, 53]);
      expect(past(kv).key.dims).toEqual([1, 2, 8, 2]);
      expect(kv.byteLength).toBe(2 * 1 * 2 * 8 * 2 * (dtype === 'float16' ? 2 : 4));
    });
  }

  it('does not round capacity up past the window, and trims it before a run that would pass it', () => {
    const sig = signature('float32');
    const kv = new KvCache(sig, { growth: 4, window: 7 });
    kv.addRow();
    kv.append(output(sig, 1, 5, 1), { positions: 5, starts: [0] }, 5);
    expect(kv.capacity).toBe(6); // not 8: past 6 + 1 new fits the window
    const held = positions(kv, 0, 1);
    kv.prepare(1);
    expect(kv.capacity).toBe(6);
    kv.prepare(2); // 6 + 2 would pass the window: trimmed to the longest row
    expect(kv.capacity).toBe(5);
    expect(positions(kv, 0, 1)).toEqual(held);
    kv.append(output(sig, 1, 2, 0), { positions: 2, starts: [0] }, 2);
    expect(kv.capacity).toBe(7); // what the rows hold is never cut
  });

  it("takes each row's new positions from where its own length says (GroupQueryAttention present.*)", () => {
    const sig = signature('float32');
    const a = prefilled(sig, 2, 1, 8);
    const b = prefilled(sig, 5, 100, 8);
    const batch = new KvCache(sig, { growth: 8 });
    batch.addRowFrom(a, 0);
    batch.addRowFrom(b, 0);
    // present.* of capacity 8 + 1: row 0's new key at position 2, row 1's at 5.
    const present = output(sig, 2, 9, 0);
    batch.append(present, { positions: 9, starts: [...batch.lengths] }, 1);
    expect(positions(batch, 0, 1).slice(-2)).toEqual([(1 * 9 + 2) * 2, (1 * 9 + 2) * 2 + 1]);
    expect(positions(batch, 1, 0).slice(-2)).toEqual([(2 * 9 + 5) * 2, (2 * 9 + 5) * 2 + 1]);
    expect(batch.lengths).toEqual([3, 6]);
  });

  it('with a shared past/present buffer: one fixed shape holds past and new, the mask spans it, a run is only counted', () => {
    const sig: GraphSignature = { ...signature('float32'), presentLayout: 'row-length', sharedBuffer: true };
    const kv = new KvCache(sig, { growth: 4, window: 10 });
    expect(kv.shared).toBe(true);
    kv.addRow();
    kv.prepare(3); // a 3-token prefill: room for it before the run
    expect(kv.capacity).toBe(4);
    expect(kv.span(3)).toBe(4);
    expect(Array.from(kv.attentionMask(3)).map(Number)).toEqual([1, 1, 1, 0]);
    const feeds: Record<string, Tensor> = {};
    const fetches: Record<string, Tensor | null> = { logits: null };
    kv.addFeeds(feeds, fetches);
    // present.* are the past tensors themselves: onnxruntime writes the new positions into them.
    expect(fetches['present.0.key']).toBe(feeds['past_key_values.0.key']);
    expect(fetches['present.0.value']).toBe(feeds['past_key_values.0.value']);
    expect(feeds['past_key_values.0.key']!.dims).toEqual([1, 2, 4, 2]);
    (feeds['past_key_values.0.key']!.data as Float32Array).set([1, 2, 3, 4, 5, 6], 0); // as the run would
    kv.advance(3);
    expect(kv.lengths).toEqual([3]);
    expect(positions(kv, 0, 0)).toEqual([1, 2, 3, 4, 5, 6]);

    kv.prepare(1); // 3 + 1 fit: no re-layout
    expect(kv.capacity).toBe(4);
    kv.advance(1);
    kv.prepare(1); // 4 + 1 do not: grown, what was held kept
    expect(kv.capacity).toBe(8);
    expect(positions(kv, 0, 0).slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(kv.attentionMask(1)).map(Number)).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    expect(() => kv.advance(5)).toThrow(/past the capacity/);
    // The whole window is one run's span: capacity rounds up to it (not to window − 1).
    kv.advance(4);
    kv.prepare(1);
    expect(kv.capacity).toBe(10);
    // A graph that does not share its buffers gets its new positions appended, never counted.
    expect(() => new KvCache(signature('float32')).advance(1)).toThrow(/append/);
  });

  it('gives row memory back when few rows are left', () => {
    const sig = signature('float32');
    const one = prefilled(sig, 3, 1, 4);
    const batch = new KvCache(sig, { growth: 4 });
    for (let i = 0; i < 4; i++) batch.addRowFrom(one, 0);
    const perRow = 2 * 2 * 4 * 2 * 4; // key + value, 2 heads, capacity 4, head size 2, float32
    expect(batch.byteLength).toBe(4 * perRow);
    batch.removeRow(0);
    batch.removeRow(0);
    expect(batch.byteLength).toBe(4 * perRow);
    batch.removeRow(0);
    expect(batch.rows).toBe(1);
    expect(batch.byteLength).toBe(2 * perRow);
    expect(positions(batch, 0, 1)).toEqual(positions(one, 0, 1));
  });

  it('rows of different lengths share one shape; a joining row is copied, a leaving one takes the last row', () => {
    const sig = signature('float32');
    const a = prefilled(sig, 2, 1, 4);
    const b = prefilled(sig, 5, 100, 4);

    const batch = new KvCache(sig, { growth: 4, maxRows: 3 });
    expect(batch.addRowFrom(a, 0)).toBe(0);
    expect(batch.addRowFrom(b, 0)).toBe(1);
    expect(batch.addRowFrom(a, 0)).toBe(2);
    expect(batch.lengths).toEqual([2, 5, 2]);
    expect(batch.capacity).toBe(8);
    expect(positions(batch, 1, 1)).toEqual(positions(b, 0, 1));
    expect(Array.from(batch.attentionMask(1)).map(Number)).toEqual([
      ...[1, 1, 0, 0, 0, 0, 0, 0, 1],
      ...[1, 1, 1, 1, 1, 0, 0, 0, 1],
      ...[1, 1, 0, 0, 0, 0, 0, 0, 1],
    ]);
    expect(() => batch.addRow()).toThrow(/limited to 3 rows/);

    // One decode step: each row gets its own new position after its own length.
    batch.append(output(sig, 3, 1, 500), { positions: 1, starts: Array(3).fill(0) }, 1);
    expect(batch.lengths).toEqual([3, 6, 3]);
    expect(positions(batch, 0, 0)).toEqual([1, 2, 3, 4, 500, 501]);
    expect(positions(batch, 2, 1)).toEqual([5, 6, 7, 8, 510, 511]);

    // Row 0 leaves: row 2 moves into its place.
    const row2 = positions(batch, 2, 1);
    expect(batch.removeRow(0)).toBe(2);
    expect(batch.lengths).toEqual([3, 6]);
    expect(positions(batch, 0, 1)).toEqual(row2);
    expect(past(batch).key.dims).toEqual([2, 2, 8, 2]);

    // The long row leaves: capacity shrinks back when it is far past what is left.
    const wide = new KvCache(sig, { growth: 1 });
    wide.addRowFrom(a, 0);
    wide.addRowFrom(b, 0);
    wide.append(output(sig, 2, 4, 0), { positions: 4, starts: Array(2).fill(0) }, 4);
    expect(wide.lengths).toEqual([6, 9]);
    expect(wide.capacity).toBe(9);
    const short = positions(wide, 0, 1);
    wide.removeRow(1);
    expect(wide.capacity).toBe(7); // the longest row (6) and room for the next step
    expect(positions(wide, 0, 1)).toEqual(short);
    wide.removeRow(0);
    expect(wide.rows).toBe(0);
    expect(wide.byteLength).toBe(0);
  });
});

describe('halfToFloat', () => {
  it('converts normals, subnormals, zeros, infinities and NaN', () => {
    const out = halfToFloat(
      Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555]),
      new Float32Array(10),
    );
    expect(Array.from(out.subarray(0, 8))).toEqual([1, -2, 65504, 2 ** -24, 0, -0, Infinity, -Infinity]);
    expect(out[8]).toBeNaN();
    expect(out[9]).toBeCloseTo(0.333, 3);
  });
});
