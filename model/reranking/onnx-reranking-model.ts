import type * as ort from 'onnxruntime-node';
import { readEncoderDirectory, type EncoderDirectory } from '../embedding/encoder-directory.js';
import { encoderFeeds, lengthBatches, type EncodedSequence, type EncoderInputSignature } from '../embedding/encoder-inputs.js';
import { openEncoderSession, type EncoderSessionOptions } from '../embedding/encoder-session.js';
import { ModelError } from '../generation/errors.js';
import type { ExecutionProviderName } from '../generation/execution-provider.js';
import type { TextTokenizer } from '../generation/text-tokenizer.js';
import type { RerankingModel } from './reranking-model.js';

/** (query, passage) pairs per onnxruntime run when `batchSize` is not given. */
export const DEFAULT_RERANKING_BATCH_SIZE = 16;
/** Longest pair, in tokens, when neither the options nor tokenizer_config.json say. */
export const DEFAULT_RERANKING_MAX_SEQUENCE_LENGTH = 512;

/** Options of {@link loadRerankingModel}; every field optional. */
export interface OnnxRerankingOptions extends EncoderSessionOptions {
  /** Pairs per onnxruntime run; pairs are sorted by length first, so a batch pads little. Default 16. */
  batchSize?: number;
  /**
   * Most tokens per (query, passage) pair, special tokens included; the passage is cut first, the
   * query only when it alone is too long. Default: `model_max_length` of tokenizer_config.json,
   * else 512, in each case at most config.json `max_position_embeddings`. A value above
   * `max_position_embeddings` is an `INVALID_OPTIONS` error.
   */
  maxSequenceLength?: number;
}

/** What a loaded ONNX cross-encoder is and how it runs. */
export interface OnnxRerankingInfo {
  path: string;
  name: string;
  /** Width of `logits`: 1 (the score) or 2 (the score is positive minus negative logit). */
  numLabels: 1 | 2;
  maxSequenceLength: number;
  batchSize: number;
  hasTokenTypeIds: boolean;
  executionProvider: ExecutionProviderName;
}

/**
 * A BERT-family cross-encoder exported to ONNX (`input_ids`, `attention_mask`, optional
 * `token_type_ids` → `logits`), run in onnxruntime-node on CPU or CUDA. Each (query, passage)
 * pair is encoded as `[CLS] query [SEP] passage [SEP]`; the score is the relevance logit (the
 * log-odds of relevance: a sigmoid turns it into a probability).
 *
 * @example
 * const reranker = await OnnxRerankingModel.load('models/ms-marco-MiniLM-L-6-v2');
 * const scores = await reranker.score('what causes gout?', ['Gout is caused by uric acid…', 'Asthma is…']);
 * await reranker.close();
 */
export class OnnxRerankingModel implements RerankingModel {
  /** `onnx:<name>:<hash of graph, tokenizer and truncation>`. */
  readonly id: string;
  readonly info: OnnxRerankingInfo;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TextTokenizer,
    private readonly signature: EncoderInputSignature,
    private readonly padId: number,
    id: string,
    info: OnnxRerankingInfo,
  ) {
    this.id = id;
    this.info = info;
  }

  /**
   * Loads a cross-encoder directory (`config.json`, `tokenizer.json` (+ `tokenizer_config.json`),
   * `onnx/model.onnx` or `model.onnx`), creates the session on the chosen execution provider and
   * runs one probe pair to check the `logits` shape. Errors are {@link ModelError}s:
   * `MODEL_NOT_FOUND` naming the missing file, `INVALID_MODEL`, `INVALID_OPTIONS`,
   * `EXECUTION_PROVIDER_UNAVAILABLE`.
   *
   * @example
   * const reranker = await OnnxRerankingModel.load(dir, { batchSize: 32, maxSequenceLength: 256 });
   */
  static async load(path: string, options: OnnxRerankingOptions = {}): Promise<OnnxRerankingModel> {
    const kind = {
      readDirectory: readEncoderDirectory,
      defaultBatchSize: DEFAULT_RERANKING_BATCH_SIZE,
      maxSequenceLengthFromFiles: (d: EncoderDirectory) => d.tokenizerMaxLength ?? DEFAULT_RERANKING_MAX_SEQUENCE_LENGTH,
      pairs: true,
    };
    return openEncoderSession(path, options, kind, async (encoder) => {
      const { directory, session, tokenizer, signature, padId, maxSequenceLength } = encoder;
      if (!session.outputNames.includes('logits')) {
        throw new ModelError('INVALID_MODEL', `${directory.onnxPath} has no output logits (it has ${session.outputNames.join(', ')})`);
      }
      const probe = await runLogits(session, signature, padId, directory.name, [
        tokenizer.encodeTruncated('', { pair: '', maxLength: maxSequenceLength }),
      ]);
      const numLabels = probe.dims[1];
      if (probe.dims.length !== 2 || (numLabels !== 1 && numLabels !== 2)) {
        throw new ModelError(
          'INVALID_MODEL',
          `${directory.onnxPath}: logits must be [batch, 1] or [batch, 2] (got [${probe.dims.join(', ')}])`,
        );
      }
      const info: OnnxRerankingInfo = {
        path: directory.path,
        name: directory.name,
        numLabels,
        maxSequenceLength,
        batchSize: encoder.batchSize,
        hasTokenTypeIds: signature.hasTokenTypeIds,
        executionProvider: encoder.executionProvider,
      };
      const id = await encoder.modelId({ maxSequenceLength });
      return new OnnxRerankingModel(session, tokenizer, signature, padId, id, info);
    });
  }

  /**
   * One score per passage, in order; higher is more relevant. Never throws for any string
   * content; an aborted `signal` rejects with its reason between batches, an onnxruntime failure
   * is a `GENERATION_FAILED` {@link ModelError}.
   *
   * @example
   * const scores = await reranker.score('gout treatment', passages, { signal: AbortSignal.timeout(2000) });
   */
  async score(query: string, passages: readonly string[], options: { signal?: AbortSignal } = {}): Promise<number[]> {
    const pairs = passages.map((passage) => this.encode(query, passage));
    const scores = new Array<number>(passages.length).fill(0);
    for (const batch of lengthBatches(
      pairs.map((p) => p.ids.length),
      this.info.batchSize,
    )) {
      options.signal?.throwIfAborted();
      const logits = await runLogits(
        this.session,
        this.signature,
        this.padId,
        this.info.name,
        batch.map((i) => pairs[i]!),
      );
      const data = logits.data;
      for (const [r, i] of batch.entries()) {
        // Two labels: the positive class's log-odds, so the order matches its softmax probability.
        scores[i] = this.info.numLabels === 1 ? data[r]! : data[2 * r + 1]! - data[2 * r]!;
      }
    }
    return scores;
  }

  /**
   * Releases the onnxruntime session; the model must not be used afterwards.
   *
   * @example
   * await reranker.close();
   */
  async close(): Promise<void> {
    await this.session.release();
  }

  private encode(query: string, passage: string): EncodedSequence {
    const maxLength = this.info.maxSequenceLength;
    try {
      return this.tokenizer.encodeTruncated(String(query), { pair: String(passage), maxLength });
    } catch {
      // A tokenizer failure on odd input scores the pair as if both texts were empty, not the call.
      return this.tokenizer.encodeTruncated('', { pair: '', maxLength });
    }
  }
}

/**
 * Loads an ONNX cross-encoder directory as a {@link RerankingModel}; see {@link OnnxRerankingModel.load}.
 *
 * @example
 * const reranker = await loadRerankingModel('models/ms-marco-MiniLM-L-6-v2', { executionProvider: 'cuda', allowCpuFallback: true });
 */
export function loadRerankingModel(path: string, options: OnnxRerankingOptions = {}): Promise<OnnxRerankingModel> {
  return OnnxRerankingModel.load(path, options);
}

async function runLogits(
  session: ort.InferenceSession,
  signature: EncoderInputSignature,
  padId: number,
  name: string,
  pairs: readonly EncodedSequence[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  let result: ort.InferenceSession.ReturnType;
  try {
    result = await session.run(encoderFeeds(pairs, signature, padId), ['logits']);
  } catch (cause) {
    throw new ModelError('GENERATION_FAILED', `reranking model ${name} failed: ${(cause as Error).message}`, { cause });
  }
  const logits = result['logits']!;
  if (logits.type !== 'float32' || !(logits.data instanceof Float32Array)) {
    throw new ModelError('INVALID_MODEL', `${name}: logits must be float32 (got ${logits.type})`);
  }
  return { data: logits.data, dims: logits.dims };
}
