import * as ort from 'onnxruntime-node';
import { ModelError } from '../generation/errors.js';

/** What a BERT-family graph takes, read from its session metadata. */
export interface EncoderInputSignature {
  /** Element type of the integer inputs (optimum exports int64; some tools int32). */
  integerType: 'int64' | 'int32';
  /** Whether the graph takes `token_type_ids` (BERT does; DistilBERT, RoBERTa-style exports may not). */
  hasTokenTypeIds: boolean;
  /** Whether the graph takes explicit `position_ids`. */
  hasPositionIds: boolean;
}

/** One tokenised input: ids with special tokens, and their token types. */
export interface EncodedSequence {
  ids: readonly number[];
  typeIds: readonly number[];
}

const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids', 'position_ids']);

/**
 * Reads which inputs an encoder graph takes: `input_ids` and `attention_mask` are required,
 * `token_type_ids` and `position_ids` optional; anything else is an `INVALID_MODEL`
 * {@link ModelError} naming `graphPath` and the input.
 *
 * @example
 * const signature = readEncoderInputSignature(session, 'm/onnx/model.onnx'); // { integerType: 'int64', hasTokenTypeIds: true, … }
 */
export function readEncoderInputSignature(session: Pick<ort.InferenceSession, 'inputMetadata'>, graphPath: string): EncoderInputSignature {
  const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]));
  for (const name of ['input_ids', 'attention_mask']) {
    if (!inputs.has(name)) throw new ModelError('INVALID_MODEL', `${graphPath} is not a BERT-style encoder: it has no input ${name}`);
  }
  const unknown = [...inputs.keys()].filter((n) => !KNOWN_INPUTS.has(n));
  if (unknown.length > 0) {
    throw new ModelError('INVALID_MODEL', `${graphPath} takes inputs Galen cannot fill: ${unknown.join(', ')}`);
  }
  const ids = inputs.get('input_ids')!;
  const type = ids.isTensor ? ids.type : 'not a tensor';
  if (type !== 'int64' && type !== 'int32') {
    throw new ModelError('INVALID_MODEL', `${graphPath}: input_ids must be int64 or int32 (got ${type})`);
  }
  return { integerType: type, hasTokenTypeIds: inputs.has('token_type_ids'), hasPositionIds: inputs.has('position_ids') };
}

/**
 * The feeds for one batch: every sequence right-padded with `padId` to the longest, the mask 1 on
 * real tokens, and the optional inputs the graph takes.
 *
 * @example
 * const feeds = encoderFeeds([{ ids: [101, 7592, 102], typeIds: [0, 0, 0] }, { ids: [101, 102], typeIds: [0, 0] }], signature, 0);
 * feeds.input_ids.dims; // [2, 3]
 */
export function encoderFeeds(
  sequences: readonly EncodedSequence[],
  signature: EncoderInputSignature,
  padId: number,
): Record<string, ort.Tensor> {
  const rows = sequences.length;
  const columns = Math.max(1, ...sequences.map((s) => s.ids.length));
  const size = rows * columns;
  const ids = new Int32Array(size).fill(padId);
  const mask = new Int32Array(size);
  const types = new Int32Array(size);
  const positions = new Int32Array(size);
  for (const [r, s] of sequences.entries()) {
    const base = r * columns;
    for (let c = 0; c < s.ids.length; c++) {
      ids[base + c] = s.ids[c]!;
      mask[base + c] = 1;
      types[base + c] = s.typeIds[c] ?? 0;
    }
    for (let c = 0; c < columns; c++) positions[base + c] = c;
  }
  const dims = [rows, columns];
  const tensor = (data: Int32Array) =>
    signature.integerType === 'int64'
      ? new ort.Tensor(
          'int64',
          BigInt64Array.from(data, (v) => BigInt(v)),
          dims,
        )
      : new ort.Tensor('int32', data, dims);
  const feeds: Record<string, ort.Tensor> = { input_ids: tensor(ids), attention_mask: tensor(mask) };
  if (signature.hasTokenTypeIds) feeds['token_type_ids'] = tensor(types);
  if (signature.hasPositionIds) feeds['position_ids'] = tensor(positions);
  return feeds;
}

/**
 * Groups item indices into batches of at most `batchSize` items of similar length (longest
 * first), so each batch pads little.
 *
 * @example
 * lengthBatches([3, 40, 5, 38], 2); // [[1, 3], [2, 0]]
 */
export function lengthBatches(lengths: readonly number[], batchSize: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

/**
 * The id padding uses: the tokenizer's pad token (`pad_token` of tokenizer_config.json, else
 * `padding.pad_id` of tokenizer.json), else 0. Its value only matters to graphs that ignore the mask.
 *
 * @example
 * padTokenId(tokenizerJson, tokenizerConfig, (t) => tokenizer.tokenId(t)); // 0 for BERT's [PAD]
 */
export function padTokenId(
  tokenizerJson: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown>,
  tokenId: (token: string) => number | undefined,
): number {
  const pad = tokenizerConfig['pad_token'];
  const text = typeof pad === 'string' ? pad : typeof pad === 'object' && pad !== null ? (pad as { content?: unknown }).content : undefined;
  const fromConfig = typeof text === 'string' ? tokenId(text) : undefined;
  if (fromConfig !== undefined) return fromConfig;
  const padding = tokenizerJson['padding'];
  const padIdValue = typeof padding === 'object' && padding !== null ? (padding as { pad_id?: unknown }).pad_id : undefined;
  return typeof padIdValue === 'number' ? padIdValue : 0;
}
