/**
 * Writes random-weight BERT encoders as ONNX (with `onnx-proto`) into a directory laid out like a
 * sentence-transformers / optimum export, with the all-MiniLM-L6-v2 WordPiece tokenizer from
 * `../shared/models/tokenizers/minilm`. The weights are seeded, so a given option set always
 * gives the same model, and returned, so tests can run an independent forward pass.
 *
 * The graph is the Hugging Face `BertModel` forward: word + position + token-type embeddings,
 * LayerNorm, then per layer multi-head self-attention (additive mask from `attention_mask`),
 * residual + LayerNorm, exact-erf GELU feed-forward, residual + LayerNorm. The `classifier` head
 * adds BERT's pooler (tanh dense on [CLS]) and a linear layer to `logits`, as
 * `BertForSequenceClassification` does.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { SHARED } from './paths.js';

const { onnx } = onnxProto;

/** The MiniLM tokenizer the test encoders use (BERT uncased vocabulary, 30,522 tokens). */
export const MINILM_TOKENIZER = join(SHARED, 'models', 'tokenizers', 'minilm');
const MINILM_VOCAB_SIZE = 30522;

/** Shape and packaging of a random BERT; every field optional. */
export interface TinyBertOptions {
  /** Transformer layers. Default 2. */
  layers?: number;
  /** Hidden size. Default 32. */
  hidden?: number;
  /** Attention heads (must divide `hidden`). Default 4. */
  heads?: number;
  /** Feed-forward size. Default `2 * hidden`. */
  intermediate?: number;
  /** Position embeddings (the longest input). Default 512. */
  maxPositions?: number;
  /** Weight seed. Default 1. */
  seed?: number;
  /** Whether the graph takes a `token_type_ids` input (absent: type 0 everywhere). Default true. */
  tokenTypeIds?: boolean;
  /** Whether the graph takes explicit `position_ids` (otherwise it counts positions itself). Default false. */
  positionIds?: boolean;
  /** Element type of the integer inputs. Default `int64` (optimum's exports). */
  integerInputs?: 'int64' | 'int32';
  /** `none`: the encoder; `classifier`: pooler + linear head to `logits` (a cross-encoder). Default `none`. */
  head?: 'none' | 'classifier';
  /** Outputs of the `classifier` head. Default 1. */
  numLabels?: number;
  /**
   * Name of the encoder's hidden-state output. `sentence_embedding` also adds a masked mean of the
   * hidden states under that name (as sentence-transformers' ONNX exports do) beside
   * `token_embeddings`. Default `last_hidden_state`.
   */
  output?: 'last_hidden_state' | 'token_embeddings' | 'sentence_embedding';
  /** Sentence-transformers pooling written to `1_Pooling/config.json`; `none` writes no pooling files. Default `mean`. */
  pooling?: 'mean' | 'cls' | 'none';
  /** Whether `modules.json` lists a Normalize module. Default true. */
  normalize?: boolean;
  /** `max_seq_length` of `sentence_bert_config.json`; undefined writes no such file. Default undefined. */
  maxSeqLength?: number;
  /** Where the graph goes: `onnx/model.onnx` (optimum / transformers.js) or `model.onnx`. Default `onnx/model.onnx`. */
  graphPath?: 'onnx/model.onnx' | 'model.onnx';
}

/** One transformer layer's weights; matrices are `[in, out]` row-major (`y = x · W + b`). */
export interface TinyBertLayer {
  wq: Float32Array;
  bq: Float32Array;
  wk: Float32Array;
  bk: Float32Array;
  wv: Float32Array;
  bv: Float32Array;
  wo: Float32Array;
  bo: Float32Array;
  ln1Gamma: Float32Array;
  ln1Beta: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  ln2Gamma: Float32Array;
  ln2Beta: Float32Array;
}

/** Every weight of a tiny BERT, as written into its graph. */
export interface TinyBertWeights {
  /** `[vocab, hidden]`. */
  wordEmbeddings: Float32Array;
  /** `[maxPositions, hidden]`. */
  positionEmbeddings: Float32Array;
  /** `[2, hidden]`. */
  tokenTypeEmbeddings: Float32Array;
  embLnGamma: Float32Array;
  embLnBeta: Float32Array;
  layers: TinyBertLayer[];
  /** Classifier head only: pooler `[hidden, hidden]` and bias, classifier `[hidden, numLabels]` and bias. */
  pooler?: { w: Float32Array; b: Float32Array };
  classifier?: { w: Float32Array; b: Float32Array };
}

/** A written model: its directory, resolved shape and weights. */
export interface TinyBert {
  dir: string;
  onnxPath: string;
  vocabSize: number;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  numLabels: number;
  layerNormEps: number;
  weights: TinyBertWeights;
}

const LAYER_NORM_EPS = 1e-12;
/** Additive attention bias of padded keys: exp(-1e4) is exactly 0 in float32. */
const MASKED_BIAS = -10000;

/**
 * Writes a random BERT into `dir` (created if needed) and returns its weights.
 *
 * @example
 * const bert = writeTinyBert(tmp.dir, { pooling: 'cls', tokenTypeIds: false });
 * const model = await loadEmbeddingModel(bert.dir);
 */
export function writeTinyBert(dir: string, options: TinyBertOptions = {}): TinyBert {
  const layers = options.layers ?? 2;
  const hidden = options.hidden ?? 32;
  const heads = options.heads ?? 4;
  const intermediate = options.intermediate ?? 2 * hidden;
  const maxPositions = options.maxPositions ?? 512;
  const head = options.head ?? 'none';
  const numLabels = head === 'classifier' ? (options.numLabels ?? 1) : 0;
  if (hidden % heads !== 0) throw new Error(`hidden ${hidden} is not a multiple of heads ${heads}`);
  const weights = randomWeights({ layers, hidden, intermediate, maxPositions, numLabels, seed: options.seed ?? 1 });

  const graph = buildGraph(weights, {
    hidden,
    heads,
    tokenTypeIds: options.tokenTypeIds ?? true,
    positionIds: options.positionIds ?? false,
    integerInputs: options.integerInputs ?? 'int64',
    head,
    output: options.output ?? 'last_hidden_state',
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'galen-tests-tiny-bert',
    opsetImport: [{ domain: '', version: 17 }],
    graph,
  });
  const graphPath = options.graphPath ?? 'onnx/model.onnx';
  const onnxPath = join(dir, graphPath);
  mkdirSync(join(onnxPath, '..'), { recursive: true });
  writeFileSync(onnxPath, onnx.ModelProto.encode(model).finish());

  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json']) {
    copyFileSync(join(MINILM_TOKENIZER, f), join(dir, f));
  }
  const config: Record<string, unknown> = {
    _name_or_path: `tiny-bert-${hidden}x${layers}`,
    architectures: [head === 'classifier' ? 'BertForSequenceClassification' : 'BertModel'],
    model_type: 'bert',
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    intermediate_size: intermediate,
    hidden_act: 'gelu',
    max_position_embeddings: maxPositions,
    type_vocab_size: 2,
    vocab_size: MINILM_VOCAB_SIZE,
    layer_norm_eps: LAYER_NORM_EPS,
    pad_token_id: 0,
  };
  if (head === 'classifier') {
    config.id2label = Object.fromEntries(Array.from({ length: numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
  }
  writeJson(join(dir, 'config.json'), config);
  const pooling = options.pooling ?? 'mean';
  if (head === 'none' && pooling !== 'none') {
    const modules: Array<Record<string, unknown>> = [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ];
    if (options.normalize ?? true) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
    writeJson(join(dir, 'modules.json'), modules);
    mkdirSync(join(dir, '1_Pooling'), { recursive: true });
    writeJson(join(dir, '1_Pooling', 'config.json'), {
      word_embedding_dimension: hidden,
      pooling_mode_cls_token: pooling === 'cls',
      pooling_mode_mean_tokens: pooling === 'mean',
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
    });
  }
  if (options.maxSeqLength !== undefined) {
    writeJson(join(dir, 'sentence_bert_config.json'), { max_seq_length: options.maxSeqLength, do_lower_case: false });
  }
  return {
    dir,
    onnxPath,
    vocabSize: MINILM_VOCAB_SIZE,
    layers,
    hidden,
    heads,
    intermediate,
    maxPositions,
    numLabels,
    layerNormEps: LAYER_NORM_EPS,
    weights,
  };
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** mulberry32 + Box–Muller: seeded normal samples. */
function normalSampler(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function randomWeights(s: {
  layers: number;
  hidden: number;
  intermediate: number;
  maxPositions: number;
  numLabels: number;
  seed: number;
}): TinyBertWeights {
  const normal = normalSampler(s.seed);
  const fill = (n: number, std: number, mean = 0): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = mean + std * normal();
    return a;
  };
  // Scaled so activations stay O(1) through the layers and every part of the graph matters.
  const matrix = (rows: number, cols: number) => fill(rows * cols, 1 / Math.sqrt(rows));
  const bias = (n: number) => fill(n, 0.1);
  const gamma = (n: number) => fill(n, 0.1, 1);
  const h = s.hidden;
  const weights: TinyBertWeights = {
    wordEmbeddings: fill(MINILM_VOCAB_SIZE * h, 1),
    positionEmbeddings: fill(s.maxPositions * h, 0.5),
    tokenTypeEmbeddings: fill(2 * h, 0.5),
    embLnGamma: gamma(h),
    embLnBeta: bias(h),
    layers: Array.from({ length: s.layers }, () => ({
      wq: matrix(h, h),
      bq: bias(h),
      wk: matrix(h, h),
      bk: bias(h),
      wv: matrix(h, h),
      bv: bias(h),
      wo: matrix(h, h),
      bo: bias(h),
      ln1Gamma: gamma(h),
      ln1Beta: bias(h),
      w1: matrix(h, s.intermediate),
      b1: bias(s.intermediate),
      w2: matrix(s.intermediate, h),
      b2: bias(h),
      ln2Gamma: gamma(h),
      ln2Beta: bias(h),
    })),
  };
  if (s.numLabels > 0) {
    weights.pooler = { w: matrix(h, h), b: bias(h) };
    weights.classifier = { w: matrix(h, s.numLabels), b: bias(s.numLabels) };
  }
  return weights;
}

type Attribute = { name: string } & ({ i: number } | { f: number } | { ints: number[] });

/** Collects nodes and initializers with unique value names. */
class GraphBuilder {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private counter = 0;

  floats(name: string, data: Float32Array, dims: number[]): string {
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  }

  /** An int64 constant; asking for the same name again reuses it. */
  int64s(name: string, values: number[], dims: number[]): string {
    if (this.initializers.some((t) => t.name === name)) return name;
    const data = BigInt64Array.from(values.map(BigInt));
    this.initializers.push(
      onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) }),
    );
    return name;
  }

  /** Adds a node with one output and returns that output's name. */
  op(opType: string, inputs: string[], attributes: Attribute[] = [], output = `t${this.counter++}`): string {
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: [output],
        name: `${opType}_${this.nodes.length}`,
        attribute: attributes.map((a) => {
          if ('ints' in a) return onnx.AttributeProto.create({ name: a.name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints });
          if ('i' in a) return onnx.AttributeProto.create({ name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.i });
          return onnx.AttributeProto.create({ name: a.name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.f });
        }),
      }),
    );
    return output;
  }

  dense(x: string, w: string, b: string, output?: string): string {
    return this.op('Add', [this.op('MatMul', [x, w]), b], [], output);
  }

  layerNorm(x: string, gamma: string, beta: string): string {
    return this.op(
      'LayerNormalization',
      [x, gamma, beta],
      [
        { name: 'axis', i: -1 },
        { name: 'epsilon', f: LAYER_NORM_EPS },
      ],
    );
  }
}

function valueInfo(name: string, elemType: number, dims: Array<number | string>) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        }),
      }),
    }),
  });
}

function buildGraph(
  w: TinyBertWeights,
  s: {
    hidden: number;
    heads: number;
    tokenTypeIds: boolean;
    positionIds: boolean;
    integerInputs: 'int64' | 'int32';
    head: 'none' | 'classifier';
    output: NonNullable<TinyBertOptions['output']>;
  },
) {
  const g = new GraphBuilder();
  const h = s.hidden;
  const headDim = h / s.heads;
  const vocab = w.wordEmbeddings.length / h;
  const maxPositions = w.positionEmbeddings.length / h;
  const INTEGER = s.integerInputs === 'int64' ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.INT32;
  const FLOAT = onnx.TensorProto.DataType.FLOAT;

  const zero = () => g.int64s('zero', [0], []);
  const one = () => g.int64s('one', [1], []);
  const oneF = g.floats('one_f', Float32Array.of(1), []);
  const halfF = g.floats('half_f', Float32Array.of(0.5), []);
  const sqrt2 = g.floats('sqrt2_f', Float32Array.of(Math.SQRT2), []);
  const scale = g.floats('attn_scale', Float32Array.of(1 / Math.sqrt(headDim)), []);
  const maskedBias = g.floats('masked_bias', Float32Array.of(MASKED_BIAS), []);
  const splitHeads = g.int64s('split_heads_shape', [0, 0, s.heads, headDim], [4]);
  const mergeHeads = g.int64s('merge_heads_shape', [0, 0, h], [3]);
  const axes12 = g.int64s('axes_1_2', [1, 2], [2]);

  // Embeddings: word + position (0…seq-1) + token type (0 when the graph has no such input).
  const words = g.op('Gather', [g.floats('embeddings.word_embeddings.weight', w.wordEmbeddings, [vocab, h]), 'input_ids']);
  const positionIds = s.positionIds
    ? 'position_ids'
    : g.op('Range', [zero(), g.op('Gather', [g.op('Shape', ['input_ids']), one()], [{ name: 'axis', i: 0 }]), one()]);
  const positions = g.op('Gather', [
    g.floats('embeddings.position_embeddings.weight', w.positionEmbeddings, [maxPositions, h]),
    positionIds,
  ]);
  const types = s.tokenTypeIds
    ? g.op('Gather', [g.floats('embeddings.token_type_embeddings.weight', w.tokenTypeEmbeddings, [2, h]), 'token_type_ids'])
    : g.floats('embeddings.token_type_embeddings.row0', w.tokenTypeEmbeddings.slice(0, h), [h]);
  const summed = g.op('Add', [g.op('Add', [words, positions]), types]);
  let x = g.layerNorm(
    summed,
    g.floats('embeddings.LayerNorm.weight', w.embLnGamma, [h]),
    g.floats('embeddings.LayerNorm.bias', w.embLnBeta, [h]),
  );

  // Additive attention bias [batch, 1, 1, seq]: 0 for real tokens, -1e4 for padding.
  const maskF = g.op('Cast', ['attention_mask'], [{ name: 'to', i: FLOAT }]);
  const bias = g.op('Mul', [g.op('Sub', [oneF, g.op('Unsqueeze', [maskF, axes12])]), maskedBias]);

  for (const [i, l] of w.layers.entries()) {
    const p = `encoder.layer.${i}`;
    const f = (name: string, data: Float32Array, dims: number[]) => g.floats(`${p}.${name}`, data, dims);
    const heads = (proj: string, perm: number[]) =>
      g.op('Transpose', [g.op('Reshape', [proj, splitHeads])], [{ name: 'perm', ints: perm }]);
    const q = heads(g.dense(x, f('q.w', l.wq, [h, h]), f('q.b', l.bq, [h])), [0, 2, 1, 3]);
    const k = heads(g.dense(x, f('k.w', l.wk, [h, h]), f('k.b', l.bk, [h])), [0, 2, 3, 1]);
    const v = heads(g.dense(x, f('v.w', l.wv, [h, h]), f('v.b', l.bv, [h])), [0, 2, 1, 3]);
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, k]), scale]), bias]);
    const probs = g.op('Softmax', [scores], [{ name: 'axis', i: -1 }]);
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], [{ name: 'perm', ints: [0, 2, 1, 3] }]), mergeHeads]);
    const attended = g.dense(context, f('o.w', l.wo, [h, h]), f('o.b', l.bo, [h]));
    x = g.layerNorm(g.op('Add', [attended, x]), f('ln1.g', l.ln1Gamma, [h]), f('ln1.b', l.ln1Beta, [h]));
    const inter = l.b1.length;
    const up = g.dense(x, f('ffn.w1', l.w1, [h, inter]), f('ffn.b1', l.b1, [inter]));
    const gelu = g.op('Mul', [g.op('Mul', [up, g.op('Add', [g.op('Erf', [g.op('Div', [up, sqrt2])]), oneF])]), halfF]);
    const down = g.dense(gelu, f('ffn.w2', l.w2, [inter, h]), f('ffn.b2', l.b2, [h]));
    const last = i === w.layers.length - 1;
    const outName = last && s.head === 'none' ? (s.output === 'sentence_embedding' ? 'token_embeddings' : s.output) : undefined;
    x = g.op(
      'LayerNormalization',
      [g.op('Add', [down, x]), f('ln2.g', l.ln2Gamma, [h]), f('ln2.b', l.ln2Beta, [h])],
      [
        { name: 'axis', i: -1 },
        { name: 'epsilon', f: LAYER_NORM_EPS },
      ],
      outName,
    );
  }

  const inputs = [valueInfo('input_ids', INTEGER, ['batch', 'sequence']), valueInfo('attention_mask', INTEGER, ['batch', 'sequence'])];
  if (s.tokenTypeIds) inputs.push(valueInfo('token_type_ids', INTEGER, ['batch', 'sequence']));
  if (s.positionIds) inputs.push(valueInfo('position_ids', INTEGER, ['batch', 'sequence']));
  const outputs = [];
  if (s.head === 'classifier') {
    const cls = g.op('Gather', [x, zero()], [{ name: 'axis', i: 1 }]);
    const pooled = g.op('Tanh', [g.dense(cls, g.floats('pooler.w', w.pooler!.w, [h, h]), g.floats('pooler.b', w.pooler!.b, [h]))]);
    const labels = w.classifier!.b.length;
    g.dense(pooled, g.floats('classifier.w', w.classifier!.w, [h, labels]), g.floats('classifier.b', w.classifier!.b, [labels]), 'logits');
    outputs.push(valueInfo('logits', FLOAT, ['batch', labels]));
  } else if (s.output === 'sentence_embedding') {
    // Masked mean over the sequence, as sentence-transformers' exports compute it in the graph.
    const axis1 = g.int64s('axis_1', [1], [1]);
    const maskH = g.op('Unsqueeze', [maskF, g.int64s('axis_2', [2], [1])]);
    const summedTokens = g.op('ReduceSum', [g.op('Mul', [x, maskH]), axis1], [{ name: 'keepdims', i: 0 }]);
    const counts = g.op('ReduceSum', [maskH, axis1], [{ name: 'keepdims', i: 0 }]);
    g.op('Div', [summedTokens, counts], [], 'sentence_embedding');
    outputs.push(valueInfo('token_embeddings', FLOAT, ['batch', 'sequence', h]), valueInfo('sentence_embedding', FLOAT, ['batch', h]));
  } else {
    outputs.push(valueInfo(s.output, FLOAT, ['batch', 'sequence', h]));
  }
  return onnx.GraphProto.create({ name: 'tiny_bert', node: g.nodes, initializer: g.initializers, input: inputs, output: outputs });
}
