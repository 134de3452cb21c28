import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { ModelError } from '../generation/errors.js';
import type { ExecutionProviderName } from '../generation/execution-provider.js';
import type { TextTokenizer } from '../generation/text-tokenizer.js';
import type { EmbeddingModel } from './embedding-model.js';
import { encoderFeeds, lengthBatches, type EncodedSequence, type EncoderInputSignature } from './encoder-inputs.js';
import { openEncoderSession, type EncoderSessionOptions } from './encoder-session.js';
import { normalized, poolSequence, type PoolingMode } from './pooling.js';
import { readSentenceTransformersDirectory, type SentenceTransformersDirectory } from './sentence-transformers-directory.js';

/**
 * Texts per onnxruntime run when `batchSize` is not given. Larger batches gain little on CPU and
 * their attention scores grow as batch × heads × length² (64 × 12 × 256² floats = 200 MB for a
 * MiniLM), which measured slower than batch 16 in `npm run bench`.
 */
export const DEFAULT_EMBEDDING_BATCH_SIZE = 16;
/** Longest input, in tokens, when neither the options nor the directory's files say. */
export const DEFAULT_EMBEDDING_MAX_SEQUENCE_LENGTH = 256;

/** Options of {@link loadEmbeddingModel}; every field optional. */
export interface OnnxEmbeddingOptions extends EncoderSessionOptions {
  /** Texts per onnxruntime run; texts are sorted by length first, so a batch pads little. Default 16. */
  batchSize?: number;
  /**
   * Most tokens per text, special tokens included; longer texts are cut at the end. Default:
   * `max_seq_length` of sentence_bert_config.json, else `model_max_length` of
   * tokenizer_config.json, else 256, in each case at most config.json `max_position_embeddings`.
   * A value above `max_position_embeddings` is an `INVALID_OPTIONS` error.
   */
  maxSequenceLength?: number;
  /**
   * Pooling of token vectors. Default: the directory's Pooling config (`1_Pooling/config.json` or
   * the folder `modules.json` names), else `mean`. Ignored when the graph outputs
   * `sentence_embedding` (already pooled).
   */
  pooling?: PoolingMode;
}

/** The graph output a model reads: pooled vectors, or token vectors it pools itself. */
export type EmbeddingOutput = 'sentence_embedding' | 'last_hidden_state' | 'token_embeddings';

/** What a loaded ONNX embedding model is and how it runs. */
export interface OnnxEmbeddingInfo {
  path: string;
  name: string;
  output: EmbeddingOutput;
  /** Pooling applied to token vectors; `undefined` when the graph pools (`sentence_embedding`). */
  pooling: PoolingMode | undefined;
  maxSequenceLength: number;
  batchSize: number;
  hasTokenTypeIds: boolean;
  executionProvider: ExecutionProviderName;
}

/** Outputs in the order they are preferred. */
const OUTPUT_PREFERENCE: readonly EmbeddingOutput[] = ['sentence_embedding', 'last_hidden_state', 'token_embeddings'];

/**
 * A sentence-transformers-style BERT-family encoder exported to ONNX, run in onnxruntime-node on
 * CPU or CUDA: `@huggingface/tokenizers` tokenisation with truncation, length-sorted batches,
 * mean or CLS pooling and L2 normalisation. Texts with no tokens (empty, only whitespace or
 * control characters) get the zero vector.
 *
 * @example
 * const model = await OnnxEmbeddingModel.load('models/all-MiniLM-L6-v2');
 * const [v] = await model.embed(['what causes gout?']); // Float32Array(384), unit norm
 * await model.close();
 */
export class OnnxEmbeddingModel implements EmbeddingModel {
  /** `onnx:<name>:<hash of graph, tokenizer, pooling and truncation>`. */
  readonly id: string;
  readonly dimension: number;
  readonly info: OnnxEmbeddingInfo;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TextTokenizer,
    private readonly signature: EncoderInputSignature,
    private readonly padId: number,
    id: string,
    dimension: number,
    info: OnnxEmbeddingInfo,
  ) {
    this.id = id;
    this.dimension = dimension;
    this.info = info;
  }

  /**
   * Loads a model directory (see {@link readSentenceTransformersDirectory}), creates the session on
   * the chosen execution provider and runs one probe input to learn the dimension and check the
   * graph. Errors are {@link ModelError}s: `MODEL_NOT_FOUND` naming the missing file,
   * `INVALID_MODEL`, `INVALID_OPTIONS`, `EXECUTION_PROVIDER_UNAVAILABLE`.
   *
   * @example
   * const model = await OnnxEmbeddingModel.load(dir, { executionProvider: 'cuda', allowCpuFallback: true, batchSize: 64 });
   */
  static async load(path: string, options: OnnxEmbeddingOptions = {}): Promise<OnnxEmbeddingModel> {
    const kind = {
      readDirectory: readSentenceTransformersDirectory,
      defaultBatchSize: DEFAULT_EMBEDDING_BATCH_SIZE,
      maxSequenceLengthFromFiles: (d: SentenceTransformersDirectory) =>
        d.maxSeqLength ?? d.tokenizerMaxLength ?? DEFAULT_EMBEDDING_MAX_SEQUENCE_LENGTH,
      pairs: false,
    };
    return openEncoderSession(path, options, kind, async (encoder) => {
      const { directory, session, tokenizer, signature, padId, maxSequenceLength } = encoder;
      const output = OUTPUT_PREFERENCE.find((name) => session.outputNames.includes(name));
      if (output === undefined) {
        throw new ModelError(
          'INVALID_MODEL',
          `${directory.onnxPath} has none of the outputs ${OUTPUT_PREFERENCE.join(', ')} (it has ${session.outputNames.join(', ')})`,
        );
      }
      if (directory.hasDense && output !== 'sentence_embedding') {
        throw new ModelError(
          'INVALID_MODEL',
          `${join(directory.path, 'modules.json')} has Dense modules, but the graph outputs ${output}, not sentence_embedding`,
        );
      }
      const pooling = output === 'sentence_embedding' ? undefined : (options.pooling ?? directory.pooling ?? 'mean');
      const info: OnnxEmbeddingInfo = {
        path: directory.path,
        name: directory.name,
        output,
        pooling,
        maxSequenceLength,
        batchSize: encoder.batchSize,
        hasTokenTypeIds: signature.hasTokenTypeIds,
        executionProvider: encoder.executionProvider,
      };
      const probe = tokenizer.encodeTruncated('', { maxLength: maxSequenceLength });
      const dimension = (await runBatch(session, signature, padId, info, [probe]))[0]!.length;
      if (dimension === 0) throw new ModelError('INVALID_MODEL', `${directory.onnxPath}: ${output} has no hidden dimension`);
      const id = await encoder.modelId({ output, pooling: pooling ?? null, maxSequenceLength });
      return new OnnxEmbeddingModel(session, tokenizer, signature, padId, id, dimension, info);
    });
  }

  /**
   * One unit vector per text, in order; the zero vector for texts without tokens. Never throws for
   * any string content; an onnxruntime failure is a `GENERATION_FAILED` {@link ModelError}.
   *
   * @example
   * const [a, b] = await model.embed(['gout', 'what causes gout?']);
   */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = texts.map(() => new Float32Array(this.dimension));
    const sequences = texts.map((text) => this.encode(text));
    const pending = sequences.flatMap((s, i) => (s === undefined ? [] : [i]));
    for (const batch of lengthBatches(
      pending.map((i) => sequences[i]!.ids.length),
      this.info.batchSize,
    )) {
      const rows = batch.map((b) => pending[b]!);
      const pooled = await runBatch(
        this.session,
        this.signature,
        this.padId,
        this.info,
        rows.map((i) => sequences[i]!),
      );
      for (const [r, i] of rows.entries()) vectors[i] = pooled[r]!;
    }
    return vectors;
  }

  /**
   * Releases the onnxruntime session; the model must not be used afterwards.
   *
   * @example
   * await model.close();
   */
  async close(): Promise<void> {
    await this.session.release();
  }

  /** The text's tokens, or `undefined` when it has none (its vector stays zero). */
  private encode(text: string): EncodedSequence | undefined {
    try {
      const encoded = this.tokenizer.encodeTruncated(String(text), { maxLength: this.info.maxSequenceLength });
      return encoded.contentLength > 0 ? encoded : undefined;
    } catch {
      // A tokenizer failure on odd input must not fail a whole batch; the text says nothing to us.
      return undefined;
    }
  }
}

/**
 * Loads a sentence-transformers-style ONNX encoder directory as an {@link EmbeddingModel}; see
 * {@link OnnxEmbeddingModel.load}.
 *
 * @example
 * const embedder = await loadEmbeddingModel('models/all-MiniLM-L6-v2', { executionProvider: 'cpu' });
 * embedder.dimension; // 384
 */
export function loadEmbeddingModel(path: string, options: OnnxEmbeddingOptions = {}): Promise<OnnxEmbeddingModel> {
  return OnnxEmbeddingModel.load(path, options);
}

/** Runs one batch and returns each row's unit vector. */
async function runBatch(
  session: ort.InferenceSession,
  signature: EncoderInputSignature,
  padId: number,
  info: OnnxEmbeddingInfo,
  sequences: readonly EncodedSequence[],
): Promise<Float32Array[]> {
  let result: ort.InferenceSession.ReturnType;
  try {
    result = await session.run(encoderFeeds(sequences, signature, padId), [info.output]);
  } catch (cause) {
    throw new ModelError('GENERATION_FAILED', `embedding model ${info.name} failed: ${(cause as Error).message}`, { cause });
  }
  const tensor = result[info.output]!;
  const data = tensor.data;
  if (tensor.type !== 'float32' || !(data instanceof Float32Array)) {
    throw new ModelError('INVALID_MODEL', `${info.name}: ${info.output} must be float32 (got ${tensor.type})`);
  }
  const dims = tensor.dims;
  if (info.pooling === undefined) {
    if (dims.length !== 2)
      throw new ModelError('INVALID_MODEL', `${info.name}: ${info.output} must be [batch, hidden] (got [${dims.join(', ')}])`);
    const hidden = dims[1]!;
    return sequences.map((_, r) => normalized(data.subarray(r * hidden, (r + 1) * hidden)));
  }
  if (dims.length !== 3)
    throw new ModelError('INVALID_MODEL', `${info.name}: ${info.output} must be [batch, sequence, hidden] (got [${dims.join(', ')}])`);
  const [, sequence, hidden] = dims as [number, number, number];
  const pooling = info.pooling;
  return sequences.map((s, row) => poolSequence(data, { row, sequence, hidden, length: s.ids.length }, pooling));
}
