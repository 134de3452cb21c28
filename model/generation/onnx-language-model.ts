import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { DecodeScheduler, resolveSchedulerOptions, type ResolvedSchedulerOptions, type SchedulerOptions } from './decode-scheduler.js';
import { ModelError } from './errors.js';
import { createInferenceSession, type SessionOptions } from './execution-provider.js';
import { resolveGenerationOptions, type GenerationOptions, type ResolvedGenerationOptions } from './generation-options.js';
import { GenerationRequest } from './generation-request.js';
import { readGraphSignature } from './graph-signature.js';
import { GraphRunner } from './graph-runner.js';
import type { LanguageModel, TextPrompt, TokenCount } from '../language-model/index.js';
import type { GenerationResult, GenerationStream, LanguageModelInfo, Prompt } from './language-model.js';
import { readModelDirectory, type ModelDirectory, type ModelDirectoryOptions } from './model-directory.js';
import { inspectKvGraph, type KvGraph } from './kv-graph.js';
import { readOnnxOutline } from './onnx-outline.js';
import { PromptEncoder, type EncodedPrompt } from './prompt-encoder.js';
import { TextTokenizer } from './text-tokenizer.js';

/** Options of {@link OnnxLanguageModel.load}; every field optional, defaults per field. */
export interface LoadOptions extends SessionOptions, ModelDirectoryOptions, SchedulerOptions {
  /**
   * Context window in tokens. Default: config.json `max_position_embeddings`. Set it lower to bound
   * KV-cache memory; requests may lower it further. A graph whose rotary embedding reads precomputed
   * cos/sin tables (`--layout fused`, onnxruntime-genai's builds: `max_position_embeddings` rows)
   * serves no more positions than they hold: a larger window is refused at load (`INVALID_OPTIONS`,
   * or `INVALID_MODEL` when it is config.json's), where a plain graph, computing its angles from the
   * positions, takes any.
   */
  contextWindow?: number;
  /**
   * What a run fetches besides `logits`. `'new'`: when every `present.{i}.*` is `Concat(past,
   * new)`, only the new keys and values are fetched and appended to Galen's cache (other graphs
   * fall back to `'present'`). Galen's builds output them already, and the session is created
   * from the file path (onnxruntime memory-maps external weights); a foreign graph gets them as
   * extra outputs and is handed to onnxruntime as edited bytes (the whole `.onnx` read into memory,
   * weights inside it included). `'present'`: the graph as it is, from its path, fetching the whole
   * `present.*` each run (onnxruntime-node copies them into new buffers: slower decoding). Either
   * way the graph is read once without its weights to see how it makes `present.*`. With `'new'`
   * on CPU, a graph whose `present.*` are GroupQueryAttention's own outputs over the
   * `past_key_values.*` inputs (`--layout fused`, onnxruntime-genai's exports) gets its cache in
   * one shared past/present buffer instead: each present output is bound to the cache's own past
   * buffer, onnxruntime writes the new positions there (no Concat, nothing appended; onnxruntime-node
   * 1.30 still returns a copy of each fetched output, dropped unread), and
   * {@link OnnxLanguageModel.kvOutputs} says `'shared'`. Default `'new'`.
   */
  kvOutputs?: 'new' | 'present';
}

/** Spare bytes read after the `.onnx` file so the extra outputs can be appended in place. */
const OUTPUTS_SLACK = 256 * 1024;

/**
 * A LLaMA-family decoder exported to ONNX (optimum / transformers.js interface) running in
 * onnxruntime-node: tokenizer, chat template, KV cache, sampler and a batching decode scheduler
 * shared by all requests.
 *
 * @example
 * const model = await OnnxLanguageModel.load('../shared/models/stories260k');
 * const { text } = await model.generate('Once upon a time', { maxNewTokens: 20 });
 * await model.close();
 */
export class OnnxLanguageModel implements LanguageModel {
  readonly provider = 'onnx';
  readonly info: LanguageModelInfo;
  /**
   * How runs get the new keys and values (see {@link LoadOptions.kvOutputs}): fetched alone
   * (`'new'`), written by onnxruntime into the cache's shared past/present buffer (`'shared'`), or
   * with all of `present.*` fetched (`'present'`).
   */
  readonly kvOutputs: 'new' | 'shared' | 'present';
  /**
   * Whether the session was created from an edited copy of the graph in memory (a foreign graph
   * given the new-KV outputs) rather than from the file path.
   */
  readonly graphEdited: boolean;
  private readonly scheduler: DecodeScheduler;
  private closed = false;

  private constructor(
    private readonly directory: ModelDirectory,
    private readonly session: InferenceSession,
    readonly tokenizer: TextTokenizer,
    private readonly prompts: PromptEncoder,
    runner: GraphRunner,
    info: LanguageModelInfo,
    scheduling: ResolvedSchedulerOptions,
    graphEdited: boolean,
  ) {
    this.info = info;
    this.graphEdited = graphEdited;
    this.kvOutputs = runner.signature.sharedBuffer ? 'shared' : runner.signature.newKvNames ? 'new' : 'present';
    this.scheduler = new DecodeScheduler(runner, scheduling, info.contextWindow);
  }

  /**
   * Loads a model directory: validates its files, creates the session on the chosen execution
   * provider, reads the KV layout from config.json and the graph. Errors are {@link ModelError}s
   * (`MODEL_NOT_FOUND`, `INVALID_MODEL`, `EXECUTION_PROVIDER_UNAVAILABLE`, `INVALID_OPTIONS`).
   *
   * @example
   * const model = await OnnxLanguageModel.load(dir, { executionProvider: 'cuda', allowCpuFallback: true });
   */
  static async load(path: string, options: LoadOptions = {}): Promise<OnnxLanguageModel> {
    const directory = readModelDirectory(path, options);
    const tokenizer = new TextTokenizer(directory.tokenizerJson, directory.tokenizerConfig);
    const prompts = new PromptEncoder(tokenizer);
    const { config } = directory;
    const contextWindow = options.contextWindow ?? config.maxPositionEmbeddings;
    if (!Number.isInteger(contextWindow) || contextWindow < 2) {
      throw new ModelError('INVALID_OPTIONS', `contextWindow must be an integer ≥ 2 (got ${contextWindow})`);
    }
    const kvOutputs = options.kvOutputs ?? 'new';
    if (kvOutputs !== 'new' && kvOutputs !== 'present')
      throw new ModelError('INVALID_OPTIONS', `kvOutputs must be 'new' or 'present' (got ${JSON.stringify(kvOutputs)})`);
    const scheduling = resolveSchedulerOptions(options); // before the model is read: bad options fail fast
    const { presentLayout, sharedBuffer, exposed, rotaryPositions } = readKvGraph(directory.onnxPath, kvOutputs === 'new');
    if (rotaryPositions && contextWindow > rotaryPositions.positions) {
      const { positions, table } = rotaryPositions;
      const holds = `the graph's rotary cos/sin table (${table}) holds ${positions} positions`;
      if (options.contextWindow !== undefined)
        throw new ModelError(
          'INVALID_OPTIONS',
          `contextWindow ${contextWindow} is more than ${directory.onnxPath} serves: ${holds}; give one ≤ ${positions}`,
        );
      throw new ModelError(
        'INVALID_MODEL',
        `config.json max_position_embeddings ${contextWindow} is more than ${directory.onnxPath} serves: ${holds}; load it with contextWindow ≤ ${positions} or rebuild it`,
      );
    }
    const { session, executionProvider } = await createInferenceSession(directory.onnxPath, options, exposed?.bytes);
    try {
      const signature = readGraphSignature(session, config, directory.onnxPath, {
        newKvNames: exposed?.names,
        presentLayout,
        // On CPU the bound buffers are the very memory onnxruntime reads and writes; other providers copy them to the device.
        sharedBuffer: sharedBuffer && kvOutputs === 'new' && executionProvider === 'cpu',
      });
      const eos = new Set([...directory.generationConfig.eosTokenIds, ...config.eosTokenIds]);
      if (tokenizer.eosTokenId !== undefined) eos.add(tokenizer.eosTokenId);
      const info: LanguageModelInfo = {
        path: directory.path,
        modelType: config.modelType,
        contextWindow,
        vocabSize: config.vocabSize,
        numLayers: signature.numLayers,
        numKeyValueHeads: signature.numKeyValueHeads,
        headDim: signature.headDim,
        kvDtype: signature.kvDtype,
        executionProvider,
        eosTokenIds: [...eos],
        hasChatTemplate: tokenizer.chatTemplate !== undefined,
      };
      const runner = new GraphRunner(session, signature);
      return new OnnxLanguageModel(directory, session, tokenizer, prompts, runner, info, scheduling, exposed?.bytes !== undefined);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /** The model directory's name. */
  get modelId(): string {
    return basename(this.info.path);
  }

  get contextWindow(): number {
    return this.info.contextWindow;
  }

  /** Exact: the model's own tokenizer (and chat template for a conversation). */
  async countTokens(prompt: TextPrompt): Promise<TokenCount> {
    return { tokens: this.encode(prompt).length, estimated: false };
  }

  /** Requests waiting, prefilling and decoding now. */
  get load(): { waiting: number; prefilling: number; decoding: number } {
    return this.scheduler.load;
  }

  /** Bytes of KV cache held now (0 when idle: caches are freed with their last request). */
  get kvCacheBytes(): number {
    return this.scheduler.kvCacheBytes;
  }

  /** Decode steps run and the rows they carried (rows / steps = mean batch size). */
  get stats(): Readonly<DecodeScheduler['stats']> {
    return this.scheduler.stats;
  }

  /**
   * Starts generating; throws ModelError `BUSY` at once when the request queue is full, `CLOSED`
   * after {@link close}, `INVALID_OPTIONS` for bad options. `signal` is `options.signal` (the contract's place for it).
   */
  stream(prompt: Prompt, options: GenerationOptions = {}, signal?: AbortSignal): GenerationStream {
    if (signal) options = { ...options, signal };
    if (this.closed) throw new ModelError('CLOSED', 'the model is closed');
    const resolved = resolveGenerationOptions(options, this.directory.generationConfig, this.info);
    const encoded = this.fit(prompt, resolved);
    if (encoded.ids.length === 0) throw new ModelError('INVALID_OPTIONS', 'the prompt is empty (no tokens)');
    const bad = encoded.ids.find((id) => !Number.isInteger(id) || id < 0 || id >= this.info.vocabSize);
    if (bad !== undefined)
      throw new ModelError('INVALID_OPTIONS', `prompt token id ${bad} is outside the vocabulary [0, ${this.info.vocabSize})`);
    const request = new GenerationRequest({
      promptIds: encoded.ids,
      options: resolved,
      stop: [...resolved.stop, ...encoded.impliedStop],
      truncated: encoded.truncated,
      vocabSize: this.info.vocabSize,
      tokenizer: this.tokenizer,
    });
    try {
      this.scheduler.submit(request);
    } catch (error) {
      request.fail(error); // detaches its abort listener; the caller gets the error thrown
      throw error;
    }
    return request.stream;
  }

  /** {@link stream} and await its result. */
  async generate(prompt: Prompt, options: GenerationOptions = {}): Promise<GenerationResult> {
    return this.stream(prompt, options).result;
  }

  /**
   * The prompt's token ids as a generation with `options` would run them, after the truncation
   * policy (see `GenerationOptions.contextWindow`) — to show or log what the model will see.
   *
   * @example
   * model.fitPrompt(longText, { contextWindow: 128, maxNewTokens: 16 }).truncated; // { droppedTokens: 301, droppedMessages: 0 }
   */
  fitPrompt(prompt: Prompt, options: GenerationOptions = {}): { ids: number[]; truncated?: GenerationResult['truncated'] } {
    const { ids, truncated } = this.fit(prompt, resolveGenerationOptions(options, this.directory.generationConfig, this.info));
    return truncated ? { ids, truncated } : { ids };
  }

  private fit(prompt: Prompt, resolved: ResolvedGenerationOptions): EncodedPrompt {
    const window = resolved.contextWindow;
    return this.prompts.encode(prompt, window - Math.min(resolved.maxNewTokens, Math.floor(window / 2)));
  }

  /** Token ids of a prompt as it would run (before truncation). */
  encode(prompt: Prompt): number[] {
    return this.prompts.encode(prompt).ids;
  }

  /** Text of token ids (special tokens skipped). */
  decode(ids: readonly number[]): string {
    return this.tokenizer.decode(ids);
  }

  /** Aborts running requests, rejects new ones and releases the session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.scheduler.close(); // waits for the run in flight: releasing under it would fail it
    await this.session.release();
  }
}

/**
 * {@link inspectKvGraph} over the file's graph without its weights; only when outputs must be
 * added is the whole file read (with room to append them in place).
 */
function readKvGraph(path: string, expose: boolean): KvGraph {
  const outline = inspectKvGraph(readOnnxOutline(path), { expose, path });
  if (outline.exposed?.bytes === undefined) return outline;
  const [bytes, fileLength] = readWithSlack(path);
  return inspectKvGraph(bytes, { expose, fileLength, path });
}

/** The file's bytes in a buffer with {@link OUTPUTS_SLACK} spare bytes after them, and the file's length. */
function readWithSlack(path: string): [Uint8Array, number] {
  const fd = openSync(path, 'r');
  try {
    const length = fstatSync(fd).size;
    const bytes = new Uint8Array(length + OUTPUTS_SLACK);
    for (let done = 0; done < length; ) {
      const n = readSync(fd, bytes, done, Math.min(length - done, 2 ** 30), done);
      if (n === 0) throw new ModelError('INVALID_MODEL', `${path} ended after ${done} of ${length} bytes`);
      done += n;
    }
    return [bytes, length];
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads a model directory as a {@link LanguageModel} (see {@link OnnxLanguageModel.load}).
 *
 * @example
 * const model = await loadLanguageModel('models/chatdoctor-7b', { executionProvider: 'cuda' });
 * for await (const { text } of model.stream({ messages: [{ role: 'user', content: 'What causes gout?' }] })) process.stdout.write(text);
 */
export async function loadLanguageModel(path: string, options: LoadOptions = {}): Promise<OnnxLanguageModel> {
  return OnnxLanguageModel.load(path, options);
}
