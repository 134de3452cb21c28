import type { InferenceSession } from 'onnxruntime-node';
import { ModelError } from './errors.js';
import type { ModelConfig } from './model-directory.js';

/**
 * Where a run's new keys and values sit in `present.{i}.*` `[rows, kvHeads, positions, headDim]`:
 * `'concat'` after the whole past (`Concat(past, new)`, optimum / transformers.js exports);
 * `'row-length'` right after each row's own real length (onnxruntime's GroupQueryAttention, as in
 * onnxruntime-genai exports, which reads the past as right-padded).
 */
export type PresentLayout = 'concat' | 'row-length';

/** Element types the KV cache may have. */
export type KvDtype = 'float32' | 'float16';

/**
 * What the decoder graph expects, read from the session's input/output metadata and checked
 * against `config.json`: the optimum / transformers.js interface (`input_ids`, `attention_mask`,
 * optional `position_ids`, `past_key_values.{i}.key|value` → `logits`, `present.{i}.key|value`).
 */
export interface GraphSignature {
  numLayers: number;
  numKeyValueHeads: number;
  headDim: number;
  kvDtype: KvDtype;
  /** `logits` element type; float16 graphs may return float16 logits. */
  logitsDtype: KvDtype;
  /** Whether the graph takes `position_ids` (some exports derive positions from the mask). */
  hasPositionIds: boolean;
  /** Whether the graph is an old optimum "merged" decoder with a `use_cache_branch` input. */
  hasUseCacheBranch: boolean;
  /** Names of the past inputs and present outputs, per layer, in `[key, value]` order. */
  pastNames: Array<[string, string]>;
  presentNames: Array<[string, string]>;
  /**
   * Per layer, outputs holding only a run's new keys and values (see `inspectKvGraph`); when
   * absent the runner fetches `present.*`.
   */
  newKvNames?: Array<[string, string]>;
  /** Where a run's new positions sit in `present.*`. */
  presentLayout: PresentLayout;
  /**
   * Whether each `present.{i}.*` is bound to its `past_key_values.{i}.*` buffer (see
   * `inspectKvGraph`): onnxruntime's GroupQueryAttention then writes the new positions into the
   * past in place (past_present_share_buffer), past and present of one fixed shape.
   */
  sharedBuffer?: boolean;
}

/**
 * Layer `i`'s past inputs and present outputs, `[key, value]`, as optimum names them.
 *
 * @example
 * layerKvNames(0).present; // ['present.0.key', 'present.0.value']
 */
export function layerKvNames(i: number): { past: [string, string]; present: [string, string] } {
  return { past: [`past_key_values.${i}.key`, `past_key_values.${i}.value`], present: [`present.${i}.key`, `present.${i}.value`] };
}

type Metadata = InferenceSession['inputMetadata'][number];

/**
 * Reads the decoder interface from a session and cross-checks it with `config.json`: the number
 * of past inputs gives the layers, their shapes the KV heads and head size (config fills symbolic
 * dimensions), their element type the KV dtype. A mismatch is an `INVALID_MODEL` error.
 *
 * @example
 * const sig = readGraphSignature(session, dir.config); // { numLayers: 5, kvDtype: 'float32', … }
 */
export function readGraphSignature(
  session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>,
  config: ModelConfig,
  graphPath = 'the ONNX graph',
  kv: { newKvNames?: Array<[string, string]> | undefined; presentLayout?: PresentLayout; sharedBuffer?: boolean } = {},
): GraphSignature {
  const { newKvNames, presentLayout = 'concat', sharedBuffer = false } = kv;
  const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]));
  const outputs = new Map(session.outputMetadata.map((m) => [m.name, m]));
  const fail = (what: string): never => {
    throw new ModelError('INVALID_MODEL', `${graphPath} does not have the decoder interface: ${what}`);
  };
  for (const name of ['input_ids', 'attention_mask']) if (!inputs.has(name)) fail(`no input ${name}`);
  const logits = outputs.get('logits') ?? fail('no output logits');

  const pastNames: Array<[string, string]> = [];
  const presentNames: Array<[string, string]> = [];
  for (let i = 0; ; i++) {
    const { past, present } = layerKvNames(i);
    if (!inputs.has(past[0])) break;
    pastNames.push(past);
    presentNames.push(present);
  }
  if (pastNames.length === 0) fail('no past_key_values.{i}.key inputs (export the model with a KV cache)');
  if (pastNames.length !== config.numLayers) {
    fail(`${pastNames.length} past_key_values layers but config.json num_hidden_layers is ${config.numLayers}`);
  }
  for (const [i, names] of pastNames.entries()) {
    for (const n of names) if (!inputs.has(n)) fail(`no input ${n}`);
    for (const n of presentNames[i]!) if (!outputs.has(n)) fail(`no output ${n}`);
  }

  const first = tensorMeta(inputs.get(pastNames[0]![0])!, fail);
  const kvDtype = floatType(first.type, fail, 'past_key_values');
  const [, heads, , dim] = first.shape;
  const numKeyValueHeads = typeof heads === 'number' ? heads : config.numKeyValueHeads;
  const headDim = typeof dim === 'number' ? dim : config.headDim;
  if (first.shape.length !== 4) fail(`past_key_values must be rank 4 [batch, heads, past, head_dim], got [${first.shape.join(', ')}]`);
  if (numKeyValueHeads !== config.numKeyValueHeads) {
    fail(`past_key_values have ${numKeyValueHeads} heads but config.json says ${config.numKeyValueHeads}`);
  }
  if (headDim !== config.headDim) fail(`past_key_values head size ${headDim} but config.json says ${config.headDim}`);
  for (const names of pastNames) {
    for (const n of names) {
      const m = tensorMeta(inputs.get(n)!, fail);
      if (m.type !== first.type) fail(`${n} is ${m.type}, ${pastNames[0]![0]} is ${first.type}`);
    }
  }
  return {
    numLayers: pastNames.length,
    numKeyValueHeads,
    headDim,
    kvDtype,
    logitsDtype: floatType(tensorMeta(logits, fail).type, fail, 'logits'),
    hasPositionIds: inputs.has('position_ids'),
    hasUseCacheBranch: inputs.has('use_cache_branch'),
    pastNames,
    presentNames,
    ...(newKvNames?.flat().every((n) => outputs.has(n)) ? { newKvNames } : {}),
    presentLayout,
    ...(sharedBuffer && presentLayout === 'row-length' ? { sharedBuffer } : {}),
  };
}

function tensorMeta(m: Metadata, fail: (what: string) => never): { type: string; shape: ReadonlyArray<number | string> } {
  if (!m.isTensor) fail(`${m.name} is not a tensor`);
  return m as { type: string; shape: ReadonlyArray<number | string> };
}

function floatType(type: string, fail: (what: string) => never, what: string): KvDtype {
  if (type === 'float32' || type === 'float16') return type;
  return fail(`${what} element type ${type} is not supported (float32 or float16)`);
}
