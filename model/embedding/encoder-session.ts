import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { ModelError } from '../generation/errors.js';
import { createInferenceSession, type ExecutionProviderName, type SessionOptions } from '../generation/execution-provider.js';
import { TextTokenizer } from '../generation/text-tokenizer.js';
import type { EncoderDirectory, EncoderDirectoryOptions } from './encoder-directory.js';
import { padTokenId, readEncoderInputSignature, type EncoderInputSignature } from './encoder-inputs.js';
import { graphFiles, modelFingerprint } from './model-fingerprint.js';
import { resolveMaxSequenceLength } from './sequence-length.js';

/** The caller's options every ONNX encoder (embedder, cross-encoder) takes. */
export interface EncoderSessionOptions extends SessionOptions, EncoderDirectoryOptions {
  /** Inputs per onnxruntime run. */
  batchSize?: number;
  /** Most tokens per input, special tokens included. */
  maxSequenceLength?: number;
}

/** What tells one kind of encoder from another when it is opened. */
export interface EncoderKind<D extends EncoderDirectory> {
  /** Reads and checks the model directory. */
  readDirectory: (path: string, options: EncoderDirectoryOptions) => D;
  /** `batchSize` when the options do not say. */
  defaultBatchSize: number;
  /** The longest input the directory's files give, else the kind's default; clamped to the position embeddings. */
  maxSequenceLengthFromFiles: (directory: D) => number;
  /** Whether inputs are (query, passage) pairs, whose special tokens count against the length. */
  pairs: boolean;
}

/** An encoder whose directory is read, tokenizer built and onnxruntime session created. */
export interface OpenEncoder<D extends EncoderDirectory> {
  directory: D;
  tokenizer: TextTokenizer;
  session: ort.InferenceSession;
  executionProvider: ExecutionProviderName;
  signature: EncoderInputSignature;
  padId: number;
  batchSize: number;
  maxSequenceLength: number;
  /**
   * `onnx:<name>:<hash of graph, tokenizer and settings>`; `settings` are what else changes the
   * outputs (pooling, truncation).
   */
  modelId: (settings: Record<string, unknown>) => Promise<string>;
}

/**
 * Opens a BERT-family ONNX encoder directory and hands it to `build`, which checks the graph's
 * outputs and makes the model; the session is released when anything throws, `build` included.
 * Errors are {@link ModelError}s: `INVALID_OPTIONS` (batch size, sequence length),
 * `MODEL_NOT_FOUND`, `INVALID_MODEL`, `EXECUTION_PROVIDER_UNAVAILABLE`.
 *
 * @example
 * const model = await openEncoderSession(dir, options, {
 *   readDirectory: readEncoderDirectory,
 *   defaultBatchSize: 16,
 *   maxSequenceLengthFromFiles: (d) => d.tokenizerMaxLength ?? 512,
 *   pairs: true,
 * }, async (encoder) => new MyReranker(encoder, await encoder.modelId({ maxSequenceLength: encoder.maxSequenceLength })));
 */
export async function openEncoderSession<D extends EncoderDirectory, T>(
  path: string,
  options: EncoderSessionOptions,
  kind: EncoderKind<D>,
  build: (encoder: OpenEncoder<D>) => Promise<T>,
): Promise<T> {
  const batchSize = options.batchSize ?? kind.defaultBatchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ModelError('INVALID_OPTIONS', `batchSize must be a positive integer (got ${batchSize})`);
  }
  const directory = kind.readDirectory(path, options);
  const tokenizer = new TextTokenizer(directory.tokenizerJson, directory.tokenizerConfig);
  const empty = kind.pairs ? { pair: '' } : {};
  const maxSequenceLength = resolveMaxSequenceLength({
    requested: options.maxSequenceLength,
    fromFiles: kind.maxSequenceLengthFromFiles(directory),
    maxPositionEmbeddings: directory.maxPositionEmbeddings,
    specialTokens: tokenizer.encodeTruncated('', { ...empty, maxLength: Number.MAX_SAFE_INTEGER }).ids.length,
    path: directory.path,
  });
  const { session, executionProvider } = await createInferenceSession(directory.onnxPath, options);
  try {
    const signature = readEncoderInputSignature(session, directory.onnxPath);
    const padId = padTokenId(directory.tokenizerJson, directory.tokenizerConfig, (t) => tokenizer.tokenId(t));
    const modelId = async (settings: Record<string, unknown>) =>
      `onnx:${directory.name}:${await modelFingerprint([...graphFiles(directory.onnxPath), join(directory.path, 'tokenizer.json')], settings)}`;
    return await build({ directory, tokenizer, session, executionProvider, signature, padId, batchSize, maxSequenceLength, modelId });
  } catch (error) {
    await session.release();
    throw error;
  }
}
