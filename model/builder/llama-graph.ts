import { elementCount, type Checkpoint } from './checkpoint.js';
import { encodeFloats } from './float-formats.js';
import { mergeLoraModule, type LoraAdapter } from './lora-adapter.js';
import { ElementType, OnnxGraph, type Dim } from './onnx-graph.js';
import { QUANT_BLOCK_SIZE, quantizeMatrix, type QuantizedMatrix, type WeightQuantization } from './weight-quantizer.js';

/** Element type of the built graph's weights, activations, KV cache and logits. */
export type GraphDtype = 'fp32' | 'fp16';

/**
 * Operator layout of the built graph. `plain`: ONNX ops only (runs on any ONNX runtime; the cache
 * is `Concat(past, new)`). `fused`: the layout onnxruntime-genai writes, onnxruntime only —
 * `com.microsoft` `GroupQueryAttention` with the rotary embedding inside, `SimplifiedLayerNormalization`
 * and `SkipSimplifiedLayerNormalization` for each residual add and RMSNorm.
 */
export type GraphLayout = 'plain' | 'fused';

/** An adapter and the user's factor on its scale (`--lora-scale`). */
export interface ScaledAdapter {
  adapter: LoraAdapter;
  factor: number;
}

/** What the LLaMA graph is made from. */
export interface LlamaGraphSource {
  checkpoint: Checkpoint;
  /** Merged into the weights in order as they are produced. Default none. */
  adapters?: readonly ScaledAdapter[];
  /** Default `fp32`. */
  dtype?: GraphDtype;
  /**
   * Weight-only quantisation of every projection and the head (onnxruntime's contrib
   * `MatMulNBits`, CPU and CUDA; int8 activations inside on CPU) and of the embedding table (looked
   * up by `GatherBlockQuantized`, sharing the tied head's initializers). Default none.
   */
  quantize?: WeightQuantization;
  /** Default `plain`. */
  layout?: GraphLayout;
}

/**
 * Operator sets a graph built with these options needs.
 *
 * @example
 * llamaGraphOpsets({ quantize: 'int4' }); // { '': 17, 'com.microsoft': 1 }
 */
export function llamaGraphOpsets(source: Pick<LlamaGraphSource, 'quantize' | 'layout'>): Record<string, number> {
  return source.quantize || source.layout === 'fused' ? { '': LLAMA_GRAPH_OPSET, 'com.microsoft': 1 } : { '': LLAMA_GRAPH_OPSET };
}

/**
 * Layer `i`'s extra outputs holding only a run's new keys and values `[batch, kvHeads, sequence,
 * headDim]` (the second input of the Concat that makes `present.{i}.*`).
 *
 * @example
 * newKvOutputNames(0); // ['new.0.key', 'new.0.value']
 */
export function newKvOutputNames(i: number): [string, string] {
  return [`new.${i}.key`, `new.${i}.value`];
}

/** Opset of the default ONNX domain: every op used exists there on CPU and CUDA. */
export const LLAMA_GRAPH_OPSET = 17;

/**
 * Builds the decoder graph with the optimum / transformers.js interface:
 * `input_ids`, `attention_mask` (past + new, 0 = padding), `position_ids`,
 * `past_key_values.{i}.key|value` `[batch, kvHeads, past, headDim]` → `logits`
 * `[batch, 1, vocab]` (the last position's only: generation reads no other), `present.{i}.key|value`
 * (past ‖ new), and `new.{i}.key|value` (the new positions alone, see {@link newKvOutputNames}).
 *
 * Plain ONNX ops only, chosen so onnxruntime's own fusions apply: RMSNorm as
 * Pow→ReduceMean→Add→Sqrt→Div→Mul (fused to SimplifiedLayerNormalization), Transpose+MatMul+scale
 * (fused to FusedMatMul), Sigmoid·x (fused to QuickGelu-style Swish). The attention mask is the
 * caller's `attention_mask` (masked positions anywhere in the past: the generator right-pads rows
 * of different lengths) combined with causality, so batched rows and per-row `position_ids` stay
 * exact; in the default `plain` layout contrib attention ops are not used, so the graph runs wherever
 * plain ONNX does and the cache layout stays the caller's choice. The `fused` layout (see
 * {@link GraphLayout}) uses GroupQueryAttention instead: `present.*` holds each row's new positions
 * right after its own length (seqlens_k = sum(attention_mask) − 1), and `position_ids` is an input only
 * when the head size keeps the rotary embedding out of GroupQueryAttention (not a multiple of 16). q, k, v share one Gemm, and gate and
 * up another: fewer, larger matrix products per token. Hidden states stay 2-D `[batch·seq, hidden]`
 * so every projection is a Gemm reading the checkpoint's `[out, in]` weights with `transB`
 * (no transposed copies, and the tied head reuses the embedding matrix).
 *
 * @example
 * const graph = buildLlamaGraph({ checkpoint, adapters: [{ adapter, factor: 1 }] });
 */
export function buildLlamaGraph(source: LlamaGraphSource): OnnxGraph {
  const { checkpoint } = source;
  const arch = checkpoint.architecture;
  const fp16 = source.dtype === 'fp16';
  const E = fp16 ? ElementType.FLOAT16 : ElementType.FLOAT;
  const bytesPerElement = fp16 ? 2 : 4;
  const adapters = source.adapters ?? [];
  const { numAttentionHeads: nq, numKeyValueHeads: nkv, headDim: hd, intermediateSize: I, vocabSize: V } = arch;
  const groups = nq / nkv;
  const g = new OnnxGraph('galen_llama');

  /** Reads (and LoRA-merges) checkpoint weights and concatenates them as rows. */
  const rowsOf = (parts: readonly string[]): { dims: number[]; read: () => Float32Array } => {
    const shapes = parts.map((p) => checkpoint.shapes.get(p)!);
    const rows = shapes.reduce((n, s) => n + (s.length === 2 ? s[0]! : 1), 0);
    const dims = shapes[0]!.length === 2 ? [rows, shapes[0]![1]!] : [...shapes[0]!];
    const read = (): Float32Array => {
      if (parts.length === 1) return merged(parts[0]!);
      const out = new Float32Array(elementCount(dims));
      let at = 0;
      for (const p of parts) {
        const w = merged(p);
        out.set(w, at);
        at += w.length;
      }
      return out;
    };
    return { dims, read };
  };
  /** A weight in the graph's float type. */
  const weight = (name: string, parts: readonly string[]): string => {
    const { dims, read } = rowsOf(parts);
    return g.weight({
      name,
      dims,
      dataType: E,
      byteLength: elementCount(dims) * bytesPerElement,
      produce: () => encodeFloats(read(), fp16 ? 'float16' : 'float32'),
    });
  };
  /**
   * A `[out, in]` weight made of `parts`, quantised once into MatMulNBits' layout: data `[N, blocks,
   * blob]` uint8 and scales `[N, blocks]` (one slot each; the scales slot follows the data slot,
   * so one quantisation serves both). Asked again by `name` (the tied head after the embedding), the
   * same initializers are returned.
   */
  const quantized = new Map<string, { data: string; scales: string; n: number; k: number; blocks: number; bits: 4 | 8 }>();
  const quantizedWeight = (name: string, parts: readonly string[]) => {
    const known = quantized.get(name);
    if (known) return known;
    const { dims, read } = rowsOf(parts);
    const [n, k] = dims as [number, number];
    const bits = source.quantize === 'int4' ? 4 : 8;
    const blocks = Math.ceil(k / QUANT_BLOCK_SIZE);
    let pending: QuantizedMatrix | undefined;
    const data = g.weight({
      name: `${name}.q${bits}`,
      dims: [n, blocks, (QUANT_BLOCK_SIZE * bits) / 8],
      dataType: ElementType.UINT8,
      byteLength: (n * blocks * QUANT_BLOCK_SIZE * bits) / 8,
      produce: () => {
        pending = quantizeMatrix(read(), n, k, source.quantize!);
        return pending.data;
      },
    });
    const scales = g.weight({
      name: `${name}.scales`,
      dims: [n, blocks],
      dataType: E,
      byteLength: n * blocks * bytesPerElement,
      produce: () => {
        const out = encodeFloats(pending!.scales, fp16 ? 'float16' : 'float32');
        pending = undefined;
        return out;
      },
    });
    const q = { data, scales, n, k, blocks, bits } as const;
    quantized.set(name, q);
    return q;
  };
  /** `t · Wᵀ` for a `[out, in]` weight made of `parts`: a Gemm, or MatMulNBits when quantising. */
  const linear = (t: string, name: string, parts: readonly string[]): string => {
    if (!source.quantize) return g.op('Gemm', [t, weight(name, parts)], { transB: 1 });
    const { data, scales, n, k, bits } = quantizedWeight(name, parts);
    // accuracy_level 4 (int8 activations) is what makes it pay on CPU: measured on SmolLM2-135M,
    // 1 thread, batch-1 decode ×1.8 (int8) and ×2.3 (int4) over fp32; level 0 int8 was 15× slower.
    return g.op(
      'MatMulNBits',
      [t, data, scales],
      { K: k, N: n, bits, block_size: QUANT_BLOCK_SIZE, accuracy_level: 4 },
      undefined,
      'com.microsoft',
    );
  };
  const merged = (name: string): Float32Array => {
    const w = checkpoint.read(name);
    for (const { adapter, factor } of adapters) {
      const m = adapter.modules.get(name);
      if (m) mergeLoraModule(w, adapter, m, factor);
    }
    return w;
  };

  const fused = source.layout === 'fused';
  const batch: Dim = 'batch_size';
  const seq: Dim = 'sequence_length';
  const inputIds = g.input('input_ids', ElementType.INT64, [batch, seq]);
  const attentionMask = g.input('attention_mask', ElementType.INT64, [batch, 'total_sequence_length']);
  // GroupQueryAttention's own rotary embedding needs a head size that is a multiple of 16; it takes
  // its positions from the mask, so then the fused graph has no position_ids.
  const rotaryInAttention = fused && hd % 16 === 0;
  const positionIds = rotaryInAttention ? undefined : g.input('position_ids', ElementType.INT64, [batch, seq]);
  const past = Array.from({ length: arch.numLayers }, (_, i) =>
    (['key', 'value'] as const).map((kind) => g.input(`past_key_values.${i}.${kind}`, E, [batch, nkv, 'past_sequence_length', hd])),
  );

  const flatIds = g.op('Reshape', [inputIds, g.int64([-1])]);
  let embed: string | undefined;
  let x0: string;
  if (!source.quantize) {
    embed = weight('model.embed_tokens.weight', ['model.embed_tokens.weight']);
    x0 = g.op('Gather', [embed, flatIds], { axis: 0 });
  } else {
    // Quantised, the lookup dequantises the rows it gathers (com.microsoft GatherBlockQuantized,
    // MatMulNBits' conventions for uint8 data: zero point 2^(bits-1), low nibble first) straight
    // from the MatMulNBits data, viewed as `[vocab, blocks, 32]` values blocked along its last axis;
    // a tied head's MatMulNBits reads the same initializer. No float copy of the table is kept.
    const { data, scales, k, blocks, bits } = quantizedWeight('model.embed_tokens.weight', ['model.embed_tokens.weight']);
    const rows = g.op(
      'GatherBlockQuantized',
      [data, flatIds, g.op('Reshape', [scales, g.int64([0, blocks, 1])])],
      { gather_axis: 0, quantize_axis: 2, block_size: QUANT_BLOCK_SIZE, bits },
      undefined,
      'com.microsoft',
    );
    const padded = g.op('Reshape', [rows, g.int64([-1, blocks * QUANT_BLOCK_SIZE])]);
    x0 = k === blocks * QUANT_BLOCK_SIZE ? padded : g.op('Slice', [padded, g.int64([0]), g.int64([k]), g.int64([1])]);
  }
  const idsShape = g.op('Shape', [inputIds]);

  const eps = { float: arch.rmsNormEps };
  const toE = (v: string) => (fp16 ? g.op('Cast', [v], { to: E }) : v);
  /** RMSNorm as plain ops in float32 (onnxruntime fuses them to SimplifiedLayerNormalization). */
  const rmsNorm = (t: string, w: string): string => {
    const xf = fp16 ? g.op('Cast', [t], { to: ElementType.FLOAT }) : t;
    const variance = g.op('ReduceMean', [g.op('Pow', [xf, g.float([2], ElementType.FLOAT, true)])], { axes: [-1], keepdims: 1 });
    const normed = g.op('Div', [xf, g.op('Sqrt', [g.op('Add', [variance, g.float([arch.rmsNormEps], ElementType.FLOAT, true)])])]);
    return g.op('Mul', [toE(normed), w]);
  };
  const normWeight = (name: string): string => weight(name, [name]);

  /** The plain-op decoder layers; returns the last residual stream `[batch·seq, hidden]`. */
  const plainLayers = (positionIds: string): string => {
    // Rotary tables from each row's own positions: cos/sin [batch, seq, 1, headDim] (rotate-half layout).
    const invFreq = Array.from({ length: hd / 2 }, (_, i) => 1 / arch.ropeTheta ** ((2 * i) / hd));
    const freqs = g.op('Mul', [
      g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: ElementType.FLOAT }), g.int64([2])]),
      g.float(invFreq),
    ]);
    const angles = g.op('Unsqueeze', [g.op('Concat', [freqs, freqs], { axis: -1 }), g.int64([2])]);
    const cos = toE(g.op('Cos', [angles]));
    const sin = toE(g.op('Sin', [angles]));

    // allowed[b, 0, q, k] = mask[b, k] ∧ k ≤ past + q; tiled over the query heads of each KV head.
    const pastLength = g.op('Gather', [g.op('Shape', [past[0]![0]!]), g.int64([2], true)], { axis: 0 });
    const seqLength = g.op('Gather', [idsShape, g.int64([1], true)], { axis: 0 });
    const totalLength = g.op('Gather', [g.op('Shape', [attentionMask]), g.int64([1], true)], { axis: 0 });
    const keyIndex = g.op('Unsqueeze', [g.op('Range', [g.int64([0], true), totalLength, g.int64([1], true)]), g.int64([0])]);
    const queryIndex = g.op('Unsqueeze', [
      g.op('Add', [g.op('Range', [g.int64([0], true), seqLength, g.int64([1], true)]), pastLength]),
      g.int64([1]),
    ]);
    const causal = g.op('LessOrEqual', [keyIndex, queryIndex]);
    const padding = g.op('Cast', [g.op('Unsqueeze', [attentionMask, g.int64([1, 2])])], { to: ElementType.BOOL });
    let allowed = g.op('And', [causal, padding]);
    if (groups > 1) allowed = g.op('Tile', [allowed, g.int64([1, 1, groups, 1])]);
    const masked = g.float([fp16 ? -65504 : -3.4028234663852886e38], E, true);
    const scale = g.float([1 / Math.sqrt(hd)], E, true);

    const qShape = g.op('Concat', [idsShape, g.int64([nq, hd])], { axis: 0 });
    const kvShape = g.op('Concat', [idsShape, g.int64([nkv, hd])], { axis: 0 });
    const rope = (t: string): string => {
      const [a, b] = g.opN('Split', [t, g.int64([hd / 2, hd / 2])], 2, { axis: -1 });
      const rotated = g.op('Concat', [g.op('Neg', [b!]), a!], { axis: -1 });
      return g.op('Add', [g.op('Mul', [t, cos]), g.op('Mul', [rotated, sin])]);
    };

    const newKvOutputs: Array<[string, string]> = [];
    let x = x0;
    for (let i = 0; i < arch.numLayers; i++) {
      const p = `model.layers.${i}`;
      const h = rmsNorm(x, weight(`${p}.input_layernorm.weight`, [`${p}.input_layernorm.weight`]));
      const qkv = linear(
        h,
        `${p}.self_attn.qkv_proj.weight`,
        ['q', 'k', 'v'].map((n) => `${p}.self_attn.${n}_proj.weight`),
      );
      const [q, k, v] = g.opN('Split', [qkv, g.int64([nq * hd, nkv * hd, nkv * hd])], 3, { axis: 1 });
      const qRot = g.op('Transpose', [rope(g.op('Reshape', [q!, qShape]))], { perm: [0, 2, 1, 3] });
      const [newKey, newValue] = newKvOutputNames(i);
      const kRot = g.op('Transpose', [rope(g.op('Reshape', [k!, kvShape]))], { perm: [0, 2, 1, 3] }, newKey);
      const vT = g.op('Transpose', [g.op('Reshape', [v!, kvShape])], { perm: [0, 2, 1, 3] }, newValue);
      const presentKey = g.op('Concat', [past[i]![0]!, kRot], { axis: 2 }, `present.${i}.key`);
      const presentValue = g.op('Concat', [past[i]![1]!, vT], { axis: 2 }, `present.${i}.value`);
      // [batch, nq, seq, hd] → [batch, nkv, groups·seq, hd]: query heads of one KV head share its keys.
      const grouped = g.op('Reshape', [qRot, g.int64([0, nkv, -1, hd])]);
      const scores = g.op('Mul', [g.op('MatMul', [grouped, g.op('Transpose', [presentKey], { perm: [0, 1, 3, 2] })]), scale]);
      const probs = g.op('Softmax', [g.op('Where', [allowed, scores, masked])], { axis: -1 });
      const context = g.op('Reshape', [g.op('MatMul', [probs, presentValue]), g.int64([0, nq, -1, hd])]);
      const merged2d = g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), g.int64([-1, nq * hd])]);
      x = g.op('Add', [x, linear(merged2d, `${p}.self_attn.o_proj.weight`, [`${p}.self_attn.o_proj.weight`])]);

      const h2 = rmsNorm(x, weight(`${p}.post_attention_layernorm.weight`, [`${p}.post_attention_layernorm.weight`]));
      const gateUp = linear(h2, `${p}.mlp.gate_up_proj.weight`, [`${p}.mlp.gate_proj.weight`, `${p}.mlp.up_proj.weight`]);
      const [gate, up] = g.opN('Split', [gateUp, g.int64([I, I])], 2, { axis: 1 });
      const act = g.op('Mul', [g.op('Mul', [gate!, g.op('Sigmoid', [gate!])]), up!]);
      x = g.op('Add', [x, linear(act, `${p}.mlp.down_proj.weight`, [`${p}.mlp.down_proj.weight`])]);
      g.output(presentKey, presentKey, E, [batch, nkv, 'total_sequence_length', hd]);
      g.output(presentValue, presentValue, E, [batch, nkv, 'total_sequence_length', hd]);
      newKvOutputs.push([kRot, vT]);
    }
    // After present.*: the new keys and values alone, which Galen's runtime fetches instead of present.*.
    for (const pair of newKvOutputs) for (const name of pair) g.output(name, name, E, [batch, nkv, seq, hd]);
    return x;
  };

  /**
   * The fused decoder layers (onnxruntime-genai's layout); returns the last layer's MLP output and
   * the residual stream it is added to.
   */
  const fusedLayers = (): [string, string] => {
    // GroupQueryAttention reads the past as right-padded rows: seqlens_k = real length − 1 per row
    // (past and new), total_sequence_length = the mask's width; it takes rotary positions from them.
    const maskSum = g.op('ReduceSum', [attentionMask, g.int64([1])], { keepdims: 0 });
    const seqlensK = g.op('Cast', [g.op('Sub', [maskSum, g.int64([1], true)])], { to: ElementType.INT32 });
    const totalLength = g.op('Cast', [g.op('Gather', [g.op('Shape', [attentionMask]), g.int64([1], true)], { axis: 0 })], {
      to: ElementType.INT32,
    });
    const [cosCache, sinCache] = rotaryCaches();
    const qkvShape = g.op('Concat', [idsShape, g.int64([-1])], { axis: 0 });
    const flat = g.int64([-1, nq * hd]);
    let residual = x0;
    let pending: string | undefined; // the last sublayer's output, not yet added to the residual
    /** Adds the pending sublayer output to the residual stream and RMS-normalises the sum with `w`. */
    const addNorm = (w: string): string => {
      if (pending === undefined) return g.op('SimplifiedLayerNormalization', [residual, w], { axis: -1, epsilon: eps });
      const [normed, , , sum] = g.opN(
        'SkipSimplifiedLayerNormalization',
        [pending, residual, w],
        4,
        { epsilon: eps },
        undefined,
        'com.microsoft',
      );
      residual = sum!;
      return normed!;
    };
    for (let i = 0; i < arch.numLayers; i++) {
      const p = `model.layers.${i}`;
      const h = addNorm(normWeight(`${p}.input_layernorm.weight`));
      // q, k and v packed in one [batch, seq, (nq + 2·nkv)·hd] input, as GroupQueryAttention accepts.
      const qkv = linear(
        h,
        `${p}.self_attn.qkv_proj.weight`,
        ['q', 'k', 'v'].map((n) => `${p}.self_attn.${n}_proj.weight`),
      );
      let qkvInputs: string[];
      if (rotaryInAttention) qkvInputs = [g.op('Reshape', [qkv, qkvShape]), '', ''];
      else {
        // Smaller heads: q and k rotated by com.microsoft RotaryEmbedding at the fed positions.
        const [q, k, v] = g.opN('Split', [qkv, g.int64([nq * hd, nkv * hd, nkv * hd])], 3, { axis: 1 });
        const rotate = (t: string, heads: number) =>
          g.op(
            'RotaryEmbedding',
            [g.op('Reshape', [t, qkvShape]), positionIds!, cosCache, sinCache],
            { interleaved: 0, num_heads: heads },
            undefined,
            'com.microsoft',
          );
        qkvInputs = [rotate(q!, nq), rotate(k!, nkv), g.op('Reshape', [v!, qkvShape])];
      }
      const [context] = g.opN(
        'GroupQueryAttention',
        [...qkvInputs, past[i]![0]!, past[i]![1]!, seqlensK, totalLength, ...(rotaryInAttention ? [cosCache, sinCache] : [])],
        3,
        { num_heads: nq, kv_num_heads: nkv, do_rotary: rotaryInAttention ? 1 : 0, rotary_interleaved: 0 },
        [`attention_${i}`, `present.${i}.key`, `present.${i}.value`],
        'com.microsoft',
      );
      pending = linear(g.op('Reshape', [context!, flat]), `${p}.self_attn.o_proj.weight`, [`${p}.self_attn.o_proj.weight`]);
      const h2 = addNorm(normWeight(`${p}.post_attention_layernorm.weight`));
      const gateUp = linear(h2, `${p}.mlp.gate_up_proj.weight`, [`${p}.mlp.gate_proj.weight`, `${p}.mlp.up_proj.weight`]);
      const [gate, up] = g.opN('Split', [gateUp, g.int64([I, I])], 2, { axis: 1 });
      const act = g.op('Mul', [g.op('Mul', [gate!, g.op('Sigmoid', [gate!])]), up!]);
      pending = linear(act, `${p}.mlp.down_proj.weight`, [`${p}.mlp.down_proj.weight`]);
      for (const kind of ['key', 'value'])
        g.output(`present.${i}.${kind}`, `present.${i}.${kind}`, E, [batch, nkv, 'total_sequence_length', hd]);
    }
    return [pending!, residual];
  };

  /**
   * `cos_cache`, `sin_cache` `[maxPositions, headDim / 2]`: the angles as the plain graph computes them
   * in float32. They bound the positions the graph serves (onnxruntime fails past them, where the plain
   * graph computes any), so the runtime refuses a context window larger than their rows at load.
   */
  const rotaryCaches = (): [string, string] => {
    const positions = arch.maxPositionEmbeddings;
    const half = hd / 2;
    const table = (f: (a: number) => number) => () => {
      const out = new Float32Array(positions * half);
      for (let i = 0; i < half; i++) {
        const inv = Math.fround(1 / arch.ropeTheta ** ((2 * i) / hd));
        for (let pos = 0; pos < positions; pos++) out[pos * half + i] = f(Math.fround(pos * inv));
      }
      return encodeFloats(out, fp16 ? 'float16' : 'float32');
    };
    const slot = (name: string, f: (a: number) => number) =>
      g.weight({ name, dims: [positions, half], dataType: E, byteLength: positions * half * bytesPerElement, produce: table(f) });
    return [slot('rotary.cos_cache', Math.cos), slot('rotary.sin_cache', Math.sin)];
  };

  let x: string;
  if (fused) {
    const [last, residual] = fusedLayers();
    x = g.op('Add', [last, residual]);
  } else x = plainLayers(positionIds!);

  // Only each row's last position reaches the norm and the head: the only logits a run reads.
  const last = g.op(
    'Gather',
    [g.op('Reshape', [x, g.op('Concat', [idsShape, g.int64([arch.hiddenSize])], { axis: 0 })]), g.int64([-1], true)],
    {
      axis: 1,
    },
  );
  const finalNorm = normWeight('model.norm.weight');
  const final = fused ? g.op('SimplifiedLayerNormalization', [last, finalNorm], { axis: -1, epsilon: eps }) : rmsNorm(last, finalNorm);
  // A tied head reuses the embedding matrix: Gemm with transB, or quantised, MatMulNBits over the
  // initializers the embedding lookup reads.
  const headOut = !arch.tieWordEmbeddings
    ? linear(final, 'lm_head.weight', ['lm_head.weight'])
    : source.quantize
      ? linear(final, 'model.embed_tokens.weight', ['model.embed_tokens.weight'])
      : g.op('Gemm', [final, embed!], { transB: 1 });
  const logits = g.op('Unsqueeze', [headOut, g.int64([1])], {}, 'logits');
  // logits first, as optimum lists it.
  g.output(logits, 'logits', E, [batch, 1, V]);
  g.outputs.unshift(g.outputs.pop()!);
  return g;
}
