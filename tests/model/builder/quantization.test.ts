import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, loadLanguageModel, quantizeMatrix } from '../../../model/index.js';
import { tempDir } from '../../helpers/paths.js';
import { REFERENCE, STORIES } from './fixtures.js';

/** Dequantises a MatMulNBits matrix (zero point 2^(bits-1)) back to `[n, k]`. */
function dequantize(q: ReturnType<typeof quantizeMatrix>, n: number, k: number): Float32Array {
  const out = new Float32Array(n * k);
  const blob = (32 * q.bits) / 8;
  for (let row = 0; row < n; row++) {
    for (let i = 0; i < k; i++) {
      const b = Math.floor(i / 32);
      const j = i % 32;
      const byte = q.data[(row * q.blocks + b) * blob + (q.bits === 8 ? j : j >> 1)]!;
      const value = q.bits === 8 ? byte : j & 1 ? byte >> 4 : byte & 15;
      out[row * k + i] = (value - (1 << (q.bits - 1))) * q.scales[row * q.blocks + b]!;
    }
  }
  return out;
}

describe('weight-only quantisation', () => {
  const tmp = tempDir('galen-build-quant-');
  afterAll(() => tmp.cleanup());

  it('quantises blockwise: round-trip error within half a step, K padded to whole blocks, low nibble first', () => {
    const n = 3;
    const k = 40; // one full block and one padded one
    const w = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 7)));
    for (const kind of ['int8', 'int4'] as const) {
      const q = quantizeMatrix(w, n, k, kind);
      expect(q.blocks).toBe(2);
      expect(q.data.length).toBe(n * 2 * (kind === 'int8' ? 32 : 16));
      const back = dequantize(q, n, k);
      for (let i = 0; i < w.length; i++) {
        const scale = q.scales[Math.floor(i / k) * 2 + Math.floor((i % k) / 32)]!;
        expect(Math.abs(back[i]! - w[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-6);
      }
    }
    const packed = quantizeMatrix(Float32Array.from([7, -7, ...new Array(30).fill(0)]), 1, 32, 'int4');
    expect(packed.scales[0]).toBe(1);
    expect(packed.data[0]).toBe(15 | (1 << 4)); // q(7) = 15 low nibble, q(-7) = 1 high nibble
  });

  it('--quantize int8 / int4 write MatMulNBits graphs that load and generate; int8 keeps the story', async () => {
    const sizes: Record<string, number> = {};
    for (const quantize of ['int8', 'int4'] as const) {
      const out = join(tmp.dir, quantize);
      const report = await buildModel({ from: STORIES, out, quantize });
      sizes[quantize] = report.weightBytes;
      const graph = onnxProto.onnx.ModelProto.decode(readFileSync(join(out, 'onnx', 'model.onnx')));
      expect(graph.graph!.node!.filter((n) => n.opType === 'MatMulNBits')).toHaveLength(5 * 4 + 1);
      expect(graph.graph!.node!.some((n) => n.opType === 'Gemm')).toBe(false);
      const model = await loadLanguageModel(out);
      try {
        const r = await model.generate({ tokenIds: REFERENCE.bos.prompt_ids }, { maxNewTokens: 16, temperature: 0 });
        expect(r.tokens).toHaveLength(16);
        if (quantize === 'int8') expect(r.tokens).toEqual(REFERENCE.bos.base_greedy.slice(0, 16));
      } finally {
        await model.close();
      }
    }
    expect(sizes['int4']).toBeLessThan(sizes['int8']!);
    expect(sizes['int8']).toBeLessThan(1040128);
  });
});
