import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { elementCount, type Checkpoint } from './checkpoint.js';
import { ModelBuildError } from './errors.js';
import { llamaWeightShapes, type LlamaArchitecture } from './llama-architecture.js';

/** `ak42` read as a little-endian uint32: the magic of llama2c's versioned export format. */
const VERSIONED_MAGIC = 0x616b3432;
const LEGACY_HEADER_BYTES = 7 * 4;
const VERSIONED_HEADER_BYTES = 256;

/**
 * A llama2c `.bin` checkpoint (Karpathy's `run.c` format): the legacy layout (7 int32 header, a
 * negative vocabulary size meaning an unshared classifier) or version 1 (`ak42` magic, float32).
 * Its q/k rows use the interleaved RoPE convention and are permuted into Hugging Face's
 * rotate-half order on read, so one graph serves both sources.
 *
 * @example
 * const ckpt = openLlama2cCheckpoint('../shared/models/stories260k/llama2c/stories260K.bin');
 * ckpt.architecture.numKeyValueHeads; // 4
 */
export function openLlama2cCheckpoint(path: string): Checkpoint {
  const file = resolve(path);
  if (!existsSync(file)) throw new ModelBuildError('INPUT_NOT_FOUND', `checkpoint not found: ${file}`);
  const fd = openSync(file, 'r');
  try {
    return new Llama2cCheckpoint(file, fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

class Llama2cCheckpoint implements Checkpoint {
  readonly architecture: LlamaArchitecture;
  readonly sourceConfig = {};
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly files: readonly string[];
  /** Byte offset of each Hugging Face weight (per layer for stacked llama2c arrays). */
  private readonly offsets = new Map<string, number>();

  constructor(
    readonly description: string,
    private fd: number | undefined,
  ) {
    this.files = [description];
    const fd0 = fd!;
    const size = fstatSync(fd0).size;
    const bad = (what: string): never => {
      throw new ModelBuildError('INVALID_CHECKPOINT', `${description} is not a llama2c checkpoint: ${what}`);
    };
    if (size < LEGACY_HEADER_BYTES) bad(`only ${size} bytes`);
    const head = Buffer.alloc(Math.min(size, VERSIONED_HEADER_BYTES));
    readSync(fd0, head, 0, head.length, 0);
    let params: number[];
    let shared: boolean;
    let dataStart: number;
    let version: 0 | 1;
    if (head.readUInt32LE(0) === VERSIONED_MAGIC) {
      version = head.readInt32LE(4) as 0 | 1;
      if (version !== 1)
        throw new ModelBuildError(
          'UNSUPPORTED',
          `${description}: llama2c export version ${version} is not supported (version 1 float32, or the legacy format)`,
        );
      params = Array.from({ length: 7 }, (_, i) => head.readInt32LE(8 + i * 4));
      shared = head.readUInt8(36) !== 0;
      dataStart = VERSIONED_HEADER_BYTES;
    } else {
      version = 0;
      params = Array.from({ length: 7 }, (_, i) => head.readInt32LE(i * 4));
      shared = params[5]! > 0;
      params[5] = Math.abs(params[5]!);
      dataStart = LEGACY_HEADER_BYTES;
    }
    const [dim, hidden, layers, heads, kvHeads, vocab, seqLen] = params as [number, number, number, number, number, number, number];
    if (![dim, hidden, layers, heads, kvHeads, vocab, seqLen].every((v) => Number.isInteger(v) && v > 0 && v < 1 << 24))
      bad(`implausible header [${params.join(', ')}]`);
    if (dim % heads !== 0 || heads % kvHeads !== 0 || (dim / heads) % 2 !== 0)
      bad(`dim ${dim}, heads ${heads}, kv heads ${kvHeads} do not fit`);
    const headDim = dim / heads;
    this.architecture = {
      hiddenSize: dim,
      intermediateSize: hidden,
      numLayers: layers,
      numAttentionHeads: heads,
      numKeyValueHeads: kvHeads,
      headDim,
      vocabSize: vocab,
      maxPositionEmbeddings: seqLen,
      // run.c's constants.
      ropeTheta: 10000,
      rmsNormEps: 1e-5,
      tieWordEmbeddings: shared,
      bosTokenId: 1,
      eosTokenId: 2,
    };
    this.shapes = llamaWeightShapes(this.architecture);

    const kvDim = kvHeads * headDim;
    let at = dataStart;
    const take = (name: string | ((layer: number) => string), perLayer: number, stacked: boolean): void => {
      if (!stacked) {
        this.offsets.set(name as string, at);
        at += perLayer * 4;
        return;
      }
      for (let l = 0; l < layers; l++) this.offsets.set((name as (l: number) => string)(l), at + l * perLayer * 4);
      at += layers * perLayer * 4;
    };
    const layer = (suffix: string) => (l: number) => `model.layers.${l}.${suffix}`;
    if (version === 1) {
      take(layer('input_layernorm.weight'), dim, true);
      take(layer('post_attention_layernorm.weight'), dim, true);
      take('model.norm.weight', dim, false);
      take('model.embed_tokens.weight', vocab * dim, false);
    } else {
      take('model.embed_tokens.weight', vocab * dim, false);
      take(layer('input_layernorm.weight'), dim, true);
    }
    take(layer('self_attn.q_proj.weight'), dim * dim, true);
    take(layer('self_attn.k_proj.weight'), kvDim * dim, true);
    take(layer('self_attn.v_proj.weight'), kvDim * dim, true);
    take(layer('self_attn.o_proj.weight'), dim * dim, true);
    if (version === 0) take(layer('post_attention_layernorm.weight'), dim, true);
    take(layer('mlp.gate_proj.weight'), hidden * dim, true);
    take(layer('mlp.down_proj.weight'), dim * hidden, true);
    take(layer('mlp.up_proj.weight'), hidden * dim, true);
    if (version === 0) {
      take('model.norm.weight', dim, false);
      at += seqLen * headDim * 4; // freq_cis_real and freq_cis_imag (seq_len × head_size/2 each): recomputed by the graph
    }
    if (!shared) take('lm_head.weight', vocab * dim, false);
    if (at !== size) bad(`the header implies ${at} bytes, the file has ${size}`);
  }

  read(name: string): Float32Array {
    const shape = this.shapes.get(name);
    const offset = this.offsets.get(name);
    if (!shape || offset === undefined || this.fd === undefined)
      throw new ModelBuildError('INVALID_CHECKPOINT', `${this.description} has no tensor ${name}`);
    const out = new Float32Array(elementCount(shape));
    const bytes = new Uint8Array(out.buffer);
    let done = 0;
    while (done < bytes.byteLength) {
      const n = readSync(this.fd, bytes, done, Math.min(bytes.byteLength - done, 1 << 30), offset + done);
      if (n === 0) throw new ModelBuildError('INVALID_CHECKPOINT', `${this.description}: tensor ${name} is truncated`);
      done += n;
    }
    const heads = name.endsWith('q_proj.weight')
      ? this.architecture.numAttentionHeads
      : name.endsWith('k_proj.weight')
        ? this.architecture.numKeyValueHeads
        : 0;
    return heads ? interleavedToRotateHalf(out, heads, this.architecture.headDim, this.architecture.hiddenSize) : out;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Reorders the rows of a q/k projection from llama2c's interleaved RoPE pairs (row `2i + half`
 * of a head) to Hugging Face's rotate-half halves (row `half · headDim/2 + i`), as Hugging Face's
 * own conversion script does.
 */
function interleavedToRotateHalf(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let p = 0; p < 2; p++) {
        const from = (h * headDim + 2 * i + p) * cols;
        const to = (h * headDim + p * half + i) * cols;
        out.set(w.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}
