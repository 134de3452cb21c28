import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GgmlType, GgufValueType, writeGgufFile, type GgufTensorSlot, type GgufValue } from '../files/index.js';
import type { Checkpoint } from './checkpoint.js';
import { ModelBuildError } from './errors.js';
import { quantizeQ4_0, quantizeQ8_0 } from './ggml-quantizer.js';

/** Weight formats of a GGUF export: norms stay F32 in all. */
export type GgufFormat = 'f32' | 'q8_0' | 'q4_0';

/** Options of {@link exportGguf}. */
export interface GgufExportOptions {
  checkpoint: Checkpoint;
  /** Folder with the `tokenizer.json` whose vocabulary goes into the file. */
  tokenizer: string;
  /** Format of every matrix (embedding included). Default `f32`. */
  format?: GgufFormat;
  /** The `.gguf` file to write. */
  out: string;
}

/** llama.cpp's `general.file_type` (`llama_ftype`) of each format. */
const FILE_TYPES: Record<GgufFormat, number> = { f32: 0, q4_0: 2, q8_0: 7 };
const TENSOR_TYPES: Record<GgufFormat, GgmlType> = { f32: GgmlType.F32, q4_0: GgmlType.Q4_0, q8_0: GgmlType.Q8_0 };
/** llama.cpp token types. */
const TOKEN = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, UNUSED: 5, BYTE: 6 } as const;

/**
 * Writes a LLaMA checkpoint as a GGUF v3 file llama.cpp runs (architecture `llama`): the
 * architecture's hyper-parameters, the tokenizer's vocabulary (`gpt2` BPE with merges, or `llama`
 * for byte-fallback vocabularies), and the weights under llama.cpp's names, q and k rows permuted
 * from Hugging Face's rotate-half order to the interleaved pairs llama.cpp rotates (as its own
 * `convert_hf_to_gguf.py` does). A tied head is left out: llama.cpp then reuses `token_embd`.
 * The pre-tokenizer is `default`: prompts are fed as token ids, so text splitting never matters.
 *
 * @example
 * exportGguf({ checkpoint: openCheckpoint({ random: { shape: 'smollm2-135m' } }), tokenizer: 'tok/', format: 'q8_0', out: 'm.gguf' });
 */
export function exportGguf(options: GgufExportOptions): void {
  const { checkpoint } = options;
  const arch = checkpoint.architecture;
  const format = options.format ?? 'f32';
  if (!(format in FILE_TYPES)) throw new ModelBuildError('INVALID_OPTIONS', `GGUF format must be f32, q8_0 or q4_0 (got ${format})`);
  const H = arch.hiddenSize;
  const hd = arch.headDim;

  const u32 = (value: number): GgufValue => ({ type: GgufValueType.UINT32, value });
  const f32 = (value: number): GgufValue => ({ type: GgufValueType.FLOAT32, value });
  const str = (value: string): GgufValue => ({ type: GgufValueType.STRING, value });
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', str('llama')],
    ['general.name', str(checkpoint.description)],
    ['general.file_type', u32(FILE_TYPES[format])],
    ['llama.context_length', u32(arch.maxPositionEmbeddings)],
    ['llama.embedding_length', u32(H)],
    ['llama.block_count', u32(arch.numLayers)],
    ['llama.feed_forward_length', u32(arch.intermediateSize)],
    ['llama.attention.head_count', u32(arch.numAttentionHeads)],
    ['llama.attention.head_count_kv', u32(arch.numKeyValueHeads)],
    ['llama.attention.key_length', u32(hd)],
    ['llama.attention.value_length', u32(hd)],
    ['llama.rope.dimension_count', u32(hd)],
    ['llama.rope.freq_base', f32(arch.ropeTheta)],
    ['llama.attention.layer_norm_rms_epsilon', f32(arch.rmsNormEps)],
    ['llama.vocab_size', u32(arch.vocabSize)],
    ...vocabularyMetadata(options.tokenizer, arch.vocabSize),
  ]);
  const bos = arch.bosTokenId;
  const eos = Array.isArray(arch.eosTokenId) ? arch.eosTokenId[0] : arch.eosTokenId;
  if (bos !== undefined) metadata.set('tokenizer.ggml.bos_token_id', u32(bos));
  if (eos !== undefined) metadata.set('tokenizer.ggml.eos_token_id', u32(eos));
  metadata.set('tokenizer.ggml.add_bos_token', { type: GgufValueType.BOOL, value: false });

  const matrix = (name: string, source: string, heads?: number): GgufTensorSlot => {
    const [rows, cols] = checkpoint.shapes.get(source)! as [number, number];
    const type = TENSOR_TYPES[format];
    return {
      name,
      dims: [cols, rows],
      type,
      produce: () => {
        const w = checkpoint.read(source);
        const values = heads === undefined ? w : permuteRotaryRows(w, heads, hd, cols);
        if (format === 'q8_0') return quantizeQ8_0(values);
        if (format === 'q4_0') return quantizeQ4_0(values);
        return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      },
    };
  };
  const vector = (name: string, source: string): GgufTensorSlot => ({
    name,
    dims: [...checkpoint.shapes.get(source)!],
    type: GgmlType.F32,
    produce: () => {
      const w = checkpoint.read(source);
      return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
    },
  });

  const tensors: GgufTensorSlot[] = [matrix('token_embd.weight', 'model.embed_tokens.weight')];
  for (let i = 0; i < arch.numLayers; i++) {
    const p = `model.layers.${i}`;
    tensors.push(
      vector(`blk.${i}.attn_norm.weight`, `${p}.input_layernorm.weight`),
      matrix(`blk.${i}.attn_q.weight`, `${p}.self_attn.q_proj.weight`, arch.numAttentionHeads),
      matrix(`blk.${i}.attn_k.weight`, `${p}.self_attn.k_proj.weight`, arch.numKeyValueHeads),
      matrix(`blk.${i}.attn_v.weight`, `${p}.self_attn.v_proj.weight`),
      matrix(`blk.${i}.attn_output.weight`, `${p}.self_attn.o_proj.weight`),
      vector(`blk.${i}.ffn_norm.weight`, `${p}.post_attention_layernorm.weight`),
      matrix(`blk.${i}.ffn_gate.weight`, `${p}.mlp.gate_proj.weight`),
      matrix(`blk.${i}.ffn_up.weight`, `${p}.mlp.up_proj.weight`),
      matrix(`blk.${i}.ffn_down.weight`, `${p}.mlp.down_proj.weight`),
    );
  }
  tensors.push(vector('output_norm.weight', 'model.norm.weight'));
  if (!arch.tieWordEmbeddings) tensors.push(matrix('output.weight', 'lm_head.weight'));
  try {
    writeGgufFile(options.out, metadata, tensors);
  } catch (cause) {
    throw new ModelBuildError('INVALID_OPTIONS', `cannot write ${options.out} as ${format}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Rows `[heads · headDim, cols]` from rotate-half order (pair i is rows i and i + headDim/2 of a
 * head) to interleaved order (pair i is rows 2i and 2i + 1), per head.
 *
 * @example
 * permuteRotaryRows(Float32Array.from([0, 1, 2, 3]), 1, 4, 1); // [0, 2, 1, 3]
 */
export function permuteRotaryRows(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < half; i++)
      for (let j = 0; j < 2; j++) {
        const from = (h * headDim + j * half + i) * cols;
        out.set(w.subarray(from, from + cols), (h * headDim + 2 * i + j) * cols);
      }
  return out;
}

/** `tokenizer.ggml.*` of a Hugging Face `tokenizer.json`, padded with unused tokens to `vocabSize`. */
function vocabularyMetadata(dir: string, vocabSize: number): Array<[string, GgufValue]> {
  let json: {
    model?: { type?: string; vocab?: Record<string, number>; merges?: Array<string | [string, string]>; byte_fallback?: boolean };
    added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
  };
  try {
    json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as typeof json;
  } catch (cause) {
    throw new ModelBuildError('INPUT_NOT_FOUND', `no readable tokenizer.json in ${dir}: ${(cause as Error).message}`, { cause });
  }
  const model = json.model ?? {};
  if (model.type !== 'BPE' || !model.vocab)
    throw new ModelBuildError('UNSUPPORTED', `${dir}/tokenizer.json: only BPE vocabularies go into GGUF here (got ${model.type})`);
  const tokens: string[] = Array.from({ length: vocabSize }, (_, i) => `[PAD${i}]`);
  const types: number[] = Array.from({ length: vocabSize }, () => TOKEN.UNUSED);
  const spm = model.byte_fallback === true;
  for (const [token, id] of Object.entries(model.vocab)) {
    if (id >= vocabSize) continue;
    tokens[id] = token;
    types[id] = spm && /^<0x[0-9A-F]{2}>$/.test(token) ? TOKEN.BYTE : TOKEN.NORMAL;
  }
  for (const t of json.added_tokens ?? []) {
    if (t.id >= vocabSize) continue;
    tokens[t.id] = t.content;
    types[t.id] = t.content === '<unk>' ? TOKEN.UNKNOWN : t.special ? TOKEN.CONTROL : TOKEN.NORMAL;
  }
  const array = (itemType: 5 | 6 | 8, value: Array<number | string>): GgufValue => ({ type: GgufValueType.ARRAY, itemType, value });
  const common: Array<[string, GgufValue]> = [
    ['tokenizer.ggml.tokens', array(GgufValueType.STRING, tokens)],
    ['tokenizer.ggml.token_type', array(GgufValueType.INT32, types)],
  ];
  if (spm)
    return [
      ['tokenizer.ggml.model', { type: GgufValueType.STRING, value: 'llama' }],
      ...common,
      // SentencePiece merges by score; BPE ranks give the same order: earlier ids merge first.
      [
        'tokenizer.ggml.scores',
        array(
          GgufValueType.FLOAT32,
          tokens.map((_, i) => -i),
        ),
      ],
    ];
  const merges = (model.merges ?? []).map((m) => (typeof m === 'string' ? m : m.join(' ')));
  return [
    ['tokenizer.ggml.model', { type: GgufValueType.STRING, value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: GgufValueType.STRING, value: 'default' }],
    ...common,
    ['tokenizer.ggml.merges', array(GgufValueType.STRING, merges)],
  ];
}
