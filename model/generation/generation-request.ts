import type { ResolvedGenerationOptions } from './generation-options.js';
import { IncrementalDecoder, type TokenDecoder } from './incremental-decoder.js';
import type { KvCache } from './kv-cache.js';
import type { FinishReason, GeneratedPiece, GenerationResult, GenerationStream } from './language-model.js';
import { PieceChannel } from './piece-channel.js';
import { Sampler } from './sampler.js';
import { StopMatcher } from './stop-matcher.js';

/** What the scheduler needs to know to start a request. */
export interface RequestInit {
  promptIds: readonly number[];
  options: ResolvedGenerationOptions;
  /** All stop strings (the caller's and those the prompt format implies). */
  stop: readonly string[];
  truncated: GenerationResult['truncated'];
  vocabSize: number;
  tokenizer: TokenDecoder;
}

/**
 * One generation's state while the scheduler runs it: its prompt, its own KV cache while the
 * prompt is prefilled, the sampler, streamed-text bookkeeping (incremental UTF-8 decoding, stop
 * strings) and the consumer's stream. Tokens come in through {@link accept}; the request decides
 * when it is finished.
 *
 * @example
 * const request = new GenerationRequest({ promptIds, options, stop: [], truncated: undefined, vocabSize, tokenizer });
 * scheduler.submit(request);
 * for await (const piece of request.stream) process.stdout.write(piece.text);
 */
export class GenerationRequest {
  readonly promptIds: readonly number[];
  readonly options: ResolvedGenerationOptions;
  readonly stream: GenerationStream;
  /** Prompt tokens already in `kv`. */
  prefilled = 0;
  /** The request's own cache while prefilling; the scheduler moves it into the batch after. */
  kv: KvCache | undefined;
  /** The last sampled token, fed at the next decode step. */
  nextToken = -1;
  finished = false;
  /** Set by abort / close / the consumer leaving; the scheduler reaps the request before its next run. */
  cancelled = false;

  private readonly sampler: Sampler;
  private readonly decoder: IncrementalDecoder;
  private readonly stopMatcher: StopMatcher;
  private readonly channel: PieceChannel<GeneratedPiece>;
  private readonly tokens: number[] = [];
  private text = '';
  private readonly startedAt = performance.now();
  private firstTokenAt = 0;
  private lastTokenAt = 0;
  private resolveResult!: (r: GenerationResult) => void;
  private rejectResult!: (e: unknown) => void;
  private readonly truncated: GenerationResult['truncated'];
  private readonly onAbort = () => this.cancel();

  constructor(init: RequestInit) {
    this.promptIds = init.promptIds;
    this.options = init.options;
    this.truncated = init.truncated;
    this.sampler = new Sampler(init.options.sampling, init.vocabSize, init.promptIds);
    this.decoder = new IncrementalDecoder(init.tokenizer);
    this.stopMatcher = new StopMatcher(init.stop);
    this.channel = new PieceChannel(() => this.cancel());
    const result = new Promise<GenerationResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // Marks the promise handled: a caller who only iterates must not crash the process on a failure.
    result.catch(() => undefined);
    const channel = this.channel;
    this.stream = { result, [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator]() };
    init.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (init.options.signal?.aborted) this.cancel();
  }

  /** Marks the request for removal; the scheduler finishes it as `aborted` before its next run. */
  cancel(): void {
    this.cancelled = true;
    this.onCancel?.();
  }

  /** Called on {@link cancel}, so a scheduler can reap queued requests at once. */
  onCancel: (() => void) | undefined;

  /** Chooses the next token from this request's row of logits. */
  sample(logits: Float32Array): number {
    return this.sampler.sample(logits);
  }

  /**
   * Takes a sampled token: streams its text, and returns `false` when generation is over (EOS,
   * stop string, `maxNewTokens`, context window) — the request is then finished.
   */
  accept(tokenId: number): boolean {
    const now = performance.now();
    if (this.firstTokenAt === 0) this.firstTokenAt = now;
    if (this.options.eosTokenIds.has(tokenId)) {
      this.finish('eos');
      return false;
    }
    this.lastTokenAt = now;
    this.tokens.push(tokenId);
    this.sampler.accept(tokenId);
    this.nextToken = tokenId;
    const { text, stopped } = this.stopMatcher.push(this.decoder.push(tokenId));
    this.text += text;
    this.channel.push({ tokenId, text });
    if (stopped) this.finish('stop');
    else if (this.tokens.length >= this.options.maxNewTokens) this.finish('length');
    else if (this.promptIds.length + this.tokens.length >= this.options.contextWindow) this.finish('context-window');
    return !this.finished;
  }

  /** Ends the request: releases held-back text as a last piece (`tokenId` −1) and settles the result. */
  finish(reason: FinishReason): void {
    if (this.finished) return;
    this.finished = true;
    this.releaseCache();
    if (reason !== 'stop') {
      const rest = this.stopMatcher.push(this.decoder.flush());
      const tail = rest.stopped ? rest.text : rest.text + this.stopMatcher.flush();
      if (tail) {
        this.text += tail;
        this.channel.push({ tokenId: -1, text: tail });
      }
    }
    this.options.signal?.removeEventListener('abort', this.onAbort);
    const decodeSeconds = (this.lastTokenAt - this.firstTokenAt) / 1000;
    this.resolveResult({
      text: this.text,
      tokens: [...this.tokens],
      promptTokens: this.promptIds.length,
      usage: { promptTokens: this.promptIds.length, completionTokens: this.tokens.length },
      finishReason: reason,
      timeToFirstTokenMs: this.firstTokenAt === 0 ? 0 : this.firstTokenAt - this.startedAt,
      tokensPerSecond: this.tokens.length >= 2 && decodeSeconds > 0 ? (this.tokens.length - 1) / decodeSeconds : 0,
      seed: this.options.sampling.seed,
      ...(this.truncated ? { truncated: this.truncated } : {}),
    });
    this.channel.end();
  }

  /** Ends the request with an error: the stream throws it and the result rejects with it. */
  fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.releaseCache();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.rejectResult(error);
    this.channel.fail(error);
  }

  private releaseCache(): void {
    this.kv?.clear();
    this.kv = undefined;
  }
}
