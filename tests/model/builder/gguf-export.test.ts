import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, type Llama, type Token } from 'node-llama-cpp';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dequantizeGgml,
  exportGguf,
  GgmlType,
  GgufValueType,
  openCheckpoint,
  parseLlamaArchitecture,
  permuteRotaryRows,
  quantizeQ4_0,
  quantizeQ8_0,
  readGgufHeader,
  type GgufHeader,
} from '../../../model/index.js';
import { randomCheckpoint } from '../../../model/builder/random-checkpoint.js';
import { tempDir } from '../../helpers/paths.js';
import { REFERENCE, STORIES } from './fixtures.js';

/** A small LLaMA whose rows are whole 32-value blocks, untied head. */
const BLOCKY = parseLlamaArchitecture({
  model_type: 'llama',
  hidden_size: 64,
  intermediate_size: 96,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 512,
  max_position_embeddings: 256,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
});

function tensorBytes(path: string, header: GgufHeader, name: string): Uint8Array {
  const t = header.tensors.find((x) => x.name === name)!;
  return new Uint8Array(readFileSync(path).subarray(t.offset, t.offset + t.byteLength));
}

describe('ggml block quantisers', () => {
  const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.7) * (i < 32 ? 1 : 0.01));

  it('Q8_0 keeps each value within half a step of its block', () => {
    const bytes = quantizeQ8_0(values);
    expect(bytes.length).toBe(2 * 34);
    const back = dequantizeGgml(bytes, 'q8_0');
    for (let b = 0; b < 2; b++) {
      const block = values.subarray(b * 32, b * 32 + 32);
      const step = Math.max(...block.map(Math.abs)) / 127;
      for (let j = 0; j < 32; j++) expect(Math.abs(back[b * 32 + j]! - block[j]!)).toBeLessThanOrEqual(step * 0.51);
    }
  });

  it('Q4_0 maps the largest-magnitude value to -8 steps exactly and the rest within a step', () => {
    const bytes = quantizeQ4_0(values);
    expect(bytes.length).toBe(2 * 18);
    const back = dequantizeGgml(bytes, 'q4_0');
    for (let b = 0; b < 2; b++) {
      const block = [...values.subarray(b * 32, b * 32 + 32)];
      const extreme = block.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
      const step = Math.abs(extreme) / 8;
      const at = block.indexOf(extreme);
      expect(back[b * 32 + at]).toBeCloseTo(extreme, 3);
      for (let j = 0; j < 32; j++) expect(Math.abs(back[b * 32 + j]! - block[j]!)).toBeLessThanOrEqual(step * 1.01);
    }
  });

  it('refuses values that are not whole blocks', () => {
    expect(() => quantizeQ8_0(new Float32Array(33))).toThrow(/whole number of 32-value blocks/);
  });
});

describe('exportGguf', () => {
  const tmp = tempDir('galen-gguf-');
  afterAll(() => tmp.cleanup());

  it('permutes rotary rows from rotate-half pairs to interleaved pairs', () => {
    // One head of 4 rows, 2 columns: rows (0, 2) and (1, 3) are the pairs; they become (0, 1), (2, 3).
    const w = Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]);
    expect([...permuteRotaryRows(w, 1, 4, 2)]).toEqual([0, 0, 2, 2, 1, 1, 3, 3]);
  });

  it('writes a GGUF v3 file whose header and F32 tensors read back as the checkpoint', () => {
    const checkpoint = openCheckpoint({ from: STORIES });
    const out = join(tmp.dir, 'stories-f32.gguf');
    try {
      exportGguf({ checkpoint, tokenizer: STORIES, out });
      const header = readGgufHeader(out);
      expect(header.version).toBe(3);
      expect(header.alignment).toBe(32);
      const meta = (key: string) => header.metadata.get(key)?.value;
      expect(meta('general.architecture')).toBe('llama');
      expect(meta('general.file_type')).toBe(0);
      expect(meta('llama.block_count')).toBe(5);
      expect(meta('llama.attention.head_count_kv')).toBe(4);
      expect(meta('llama.rope.freq_base')).toBe(10000);
      expect(meta('tokenizer.ggml.model')).toBe('llama');
      const tokens = header.metadata.get('tokenizer.ggml.tokens')!;
      expect(tokens.type).toBe(GgufValueType.ARRAY);
      expect((tokens.value as string[]).slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
      // 1 embedding + 9 per layer + the final norm; the tied head is left out.
      expect(header.tensors).toHaveLength(1 + 5 * 9 + 1);
      expect(header.tensors.find((t) => t.name === 'output.weight')).toBeUndefined();
      const embd = header.tensors.find((t) => t.name === 'token_embd.weight')!;
      expect(embd).toMatchObject({ dims: [64, 512], type: GgmlType.F32 });
      for (const t of header.tensors) expect(t.offset % 32).toBe(0);
      const f32 = (name: string) => {
        const b = tensorBytes(out, header, name);
        return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
      };
      expect(f32('token_embd.weight')).toEqual(checkpoint.read('model.embed_tokens.weight'));
      expect(f32('blk.3.ffn_down.weight')).toEqual(checkpoint.read('model.layers.3.mlp.down_proj.weight'));
      expect(f32('blk.1.attn_k.weight')).toEqual(permuteRotaryRows(checkpoint.read('model.layers.1.self_attn.k_proj.weight'), 4, 8, 64));
    } finally {
      checkpoint.close();
    }
  });

  it('writes Q8_0 and Q4_0 matrices (norms F32) and an untied head', () => {
    const checkpoint = randomCheckpoint(BLOCKY, { seed: 5 });
    for (const [format, type, fileType] of [
      ['q8_0', GgmlType.Q8_0, 7],
      ['q4_0', GgmlType.Q4_0, 2],
    ] as const) {
      const out = join(tmp.dir, `blocky-${format}.gguf`);
      exportGguf({ checkpoint, tokenizer: STORIES, format, out });
      const header = readGgufHeader(out);
      expect(header.metadata.get('general.file_type')!.value).toBe(fileType);
      expect(header.tensors.find((t) => t.name === 'output.weight')).toMatchObject({ dims: [64, 512], type });
      expect(header.tensors.find((t) => t.name === 'blk.1.ffn_down.weight')).toMatchObject({ dims: [96, 64], type });
      expect(header.tensors.find((t) => t.name === 'blk.1.ffn_norm.weight')).toMatchObject({ dims: [64], type: GgmlType.F32 });
      const q = permuteRotaryRows(checkpoint.read('model.layers.0.self_attn.q_proj.weight'), 4, 16, 64);
      const back = dequantizeGgml(tensorBytes(out, header, 'blk.0.attn_q.weight'), format);
      const worst = Math.max(...q.map((v, i) => Math.abs(v - back[i]!)));
      const range = Math.max(...q.map(Math.abs));
      expect(worst).toBeLessThan(range / (format === 'q8_0' ? 100 : 6));
    }
  });

  it('refuses quantising rows that are not whole blocks', () => {
    const checkpoint = openCheckpoint({ from: STORIES }); // intermediate size 172
    try {
      expect(() => exportGguf({ checkpoint, tokenizer: STORIES, format: 'q8_0', out: join(tmp.dir, 'bad.gguf') })).toThrow(
        /whole number of 32-element blocks/,
      );
    } finally {
      checkpoint.close();
    }
  });
});

// A peer we do not own: llama.cpp (node-llama-cpp's prebuilt CPU binaries) runs the F32 file.
describe('llama.cpp runs the exported stories260k', () => {
  const tmp = tempDir('galen-gguf-llama-');
  const path = join(tmp.dir, 'stories.gguf');
  let llama: Llama;
  beforeAll(async () => {
    const checkpoint = openCheckpoint({ from: STORIES });
    try {
      exportGguf({ checkpoint, tokenizer: STORIES, out: path });
    } finally {
      checkpoint.close();
    }
    llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error });
  });
  afterAll(async () => {
    await llama.dispose();
    tmp.cleanup();
  });

  it("gives the ONNX export's last-position logits and the reference's greedy ids", async () => {
    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ contextSize: 256, threads: 1 });
    try {
      const ids = REFERENCE.lily.prompt_ids;
      const tokens = ids as unknown as Token[];
      const sequence = context.getSequence();
      const out = await sequence.controlledEvaluate([...tokens.slice(0, -1), [tokens.at(-1)!, { generateNext: { logits: true } }]]);
      const theirs = out.at(-1)!.next!.logits!;
      const session = await ort.InferenceSession.create(join(STORIES, 'onnx', 'model.onnx'));
      const n = ids.length;
      const int64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, n]);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64(ids),
        attention_mask: int64(ids.map(() => 1)),
        position_ids: int64(ids.map((_, i) => i)),
      };
      for (let i = 0; i < 5; i++)
        for (const kv of ['key', 'value'])
          feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 8]);
      const all = (await session.run(feeds)).logits!.data as Float32Array;
      await session.release();
      const ours = all.subarray((n - 1) * 512, n * 512);
      expect(theirs.size).toBe(512);
      let worst = 0;
      for (let v = 0; v < 512; v++) worst = Math.max(worst, Math.abs(ours[v]! - theirs.get(v as unknown as Token)!));
      // llama.cpp's own kernels (RoPE angles by repeated products, its SiLU and softmax) differ in the last bits.
      expect(worst).toBeLessThan(0.05);

      await sequence.clearHistory();
      const generated: number[] = [];
      for await (const token of sequence.evaluate(REFERENCE.bos.prompt_ids as unknown as Token[], { temperature: 0 })) {
        generated.push(token as unknown as number);
        if (generated.length === REFERENCE.bos.base_greedy.length) break;
      }
      expect(generated).toEqual(REFERENCE.bos.base_greedy);
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });
});
