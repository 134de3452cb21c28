import { ModelError } from './errors.js';
import type { GenerationRequest } from './generation-request.js';
import type { GraphRunner } from './graph-runner.js';
import { KvCache } from './kv-cache.js';

/** Options of {@link DecodeScheduler}. */
export interface SchedulerOptions {
  /** Requests decoded together in one batch (prefilling ones count). Default 8. */
  maxBatchSize?: number;
  /** Requests waiting for a batch slot; one more is refused with `BUSY`. Default 64. */
  maxQueuedRequests?: number;
  /**
   * Prompt tokens per prefill run for requests that do not set their own `prefillChunkTokens`.
   * Other requests' decode steps run between chunks, so their streams keep flowing while a long
   * prompt is read; and on CPU, chunks are faster than one run for long prompts (the attention
   * of one run grows with its length squared). SmolLM2-135M shape, 2 cores: 1,024 tokens 2.37 s
   * whole vs 1.84 s in chunks of 256; 2,048 tokens 8.4 s vs 4.7 s; 128 and 512 tokens within 6%.
   * Default 256.
   */
  prefillChunkTokens?: number;
}

export const DEFAULT_MAX_BATCH_SIZE = 8;
export const DEFAULT_MAX_QUEUED_REQUESTS = 64;
export const DEFAULT_PREFILL_CHUNK_TOKENS = 256;

/** {@link SchedulerOptions} with every default applied. */
export type ResolvedSchedulerOptions = Required<SchedulerOptions>;

/**
 * {@link SchedulerOptions} with their defaults, checked (`INVALID_OPTIONS` naming the bad one).
 *
 * @example
 * resolveSchedulerOptions({ maxBatchSize: 16 }).prefillChunkTokens; // 256
 */
export function resolveSchedulerOptions(options: SchedulerOptions): ResolvedSchedulerOptions {
  const resolved = {
    maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
    maxQueuedRequests: options.maxQueuedRequests ?? DEFAULT_MAX_QUEUED_REQUESTS,
    prefillChunkTokens: options.prefillChunkTokens ?? DEFAULT_PREFILL_CHUNK_TOKENS,
  };
  const { maxBatchSize, maxQueuedRequests, prefillChunkTokens } = resolved;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1)
    throw new ModelError('INVALID_OPTIONS', `maxBatchSize must be an integer ≥ 1 (got ${maxBatchSize})`);
  if (!Number.isInteger(maxQueuedRequests) || maxQueuedRequests < 0)
    throw new ModelError('INVALID_OPTIONS', `maxQueuedRequests must be an integer ≥ 0 (got ${maxQueuedRequests})`);
  if (prefillChunkTokens !== Number.POSITIVE_INFINITY && (!Number.isInteger(prefillChunkTokens) || prefillChunkTokens < 1)) {
    throw new ModelError('INVALID_OPTIONS', `prefillChunkTokens must be an integer ≥ 1 (got ${prefillChunkTokens})`);
  }
  return resolved;
}

/**
 * The decoder loop. Each iteration (1) finishes cancelled requests and frees their caches,
 * (2) admits waiting requests while the batch has room, (3) runs one prefill chunk of one
 * admitted request (`prefillChunkTokens` of its prompt) and (4) runs one decode step for every
 * request in the batch at once. A request's prompt is prefilled into its own one-row cache; once its
 * first token is sampled that row is copied into the batch cache, where rows of different
 * lengths are right-padded and masked (see {@link KvCache}). Each step appends the new keys and
 * values in place; a request that leaves hands its row to the batch's last row. A new request
 * therefore waits at most one step, never for another request to finish (unless `maxBatchSize`
 * requests are running).
 *
 * @example
 * const scheduler = new DecodeScheduler(runner, resolveSchedulerOptions({ maxBatchSize: 8 }), 2048);
 * scheduler.submit(request); // throws ModelError BUSY when the queue is full
 */
export class DecodeScheduler {
  private readonly waiting: GenerationRequest[] = [];
  private readonly prefilling: GenerationRequest[] = [];
  /** The batch, in the order of the batch cache's rows. */
  private rows: GenerationRequest[] = [];
  private readonly kv: KvCache;
  private running = false;
  private closed = false;
  private readonly maxBatchSize: number;
  private readonly maxQueued: number;
  private readonly prefillChunkTokens: number;
  /** Decode steps run and rows they carried, for throughput reporting. */
  readonly stats = { decodeSteps: 0, decodedRows: 0, prefillRuns: 0, maxBatch: 0 };

  /**
   * @param options checked by {@link resolveSchedulerOptions}
   * @param contextWindow the model's context window: caches do not reserve positions past it
   */
  constructor(
    private readonly runner: GraphRunner,
    options: ResolvedSchedulerOptions,
    private readonly contextWindow: number,
  ) {
    this.maxBatchSize = options.maxBatchSize;
    this.maxQueued = options.maxQueuedRequests;
    this.prefillChunkTokens = options.prefillChunkTokens;
    this.kv = new KvCache(runner.signature, { maxRows: this.maxBatchSize, window: contextWindow });
  }

  /** Requests waiting, prefilling and decoding. */
  get load(): { waiting: number; prefilling: number; decoding: number } {
    return { waiting: this.waiting.length, prefilling: this.prefilling.length, decoding: this.rows.length };
  }

  /** Bytes of KV cache held: the batch's and those of requests being prefilled. */
  get kvCacheBytes(): number {
    return this.kv.byteLength + this.prefilling.reduce((n, r) => n + (r.kv?.byteLength ?? 0), 0);
  }

  /** Queues a request and starts the loop; `BUSY` when the queue is full, `CLOSED` after close. */
  submit(request: GenerationRequest): void {
    if (this.closed) throw new ModelError('CLOSED', 'the model is closed');
    const free = this.maxBatchSize - this.prefilling.length - this.rows.length;
    if (this.waiting.length >= this.maxQueued + Math.max(0, free)) {
      throw new ModelError('BUSY', `the model is busy: ${this.waiting.length} requests are waiting (maxQueuedRequests ${this.maxQueued})`);
    }
    this.waiting.push(request);
    // A request cancelled while queued is finished at once, not after the current step.
    request.onCancel = () => {
      const i = this.waiting.indexOf(request);
      if (i >= 0) {
        this.waiting.splice(i, 1);
        request.finish('aborted');
      }
    };
    if (request.cancelled) request.onCancel();
    if (!this.running) void this.loop().catch((error: unknown) => this.failAll(error));
  }

  /** Last resort for a bug in the loop: no request may hang, no cache may stay. */
  private failAll(error: unknown): void {
    const cause = new ModelError('GENERATION_FAILED', `decode loop failed: ${(error as Error).message}`, { cause: error });
    for (const r of [...this.waiting, ...this.prefilling, ...this.rows]) r.fail(cause);
    this.waiting.length = 0;
    this.prefilling.length = 0;
    this.rows = [];
    this.kv.clear();
  }

  /**
   * Aborts everything, refuses new requests, and resolves once no run is in flight (the session
   * may be released then).
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of [...this.waiting, ...this.prefilling, ...this.rows]) r.cancel();
    if (this.running) await this.idle;
    else this.reap();
  }

  private idle: Promise<void> = Promise.resolve();

  private async loop(): Promise<void> {
    this.running = true;
    let done!: () => void;
    this.idle = new Promise((resolve) => (done = resolve));
    try {
      for (;;) {
        this.reap();
        while (this.waiting.length > 0 && this.prefilling.length + this.rows.length < this.maxBatchSize) {
          this.prefilling.push(this.waiting.shift()!);
        }
        if (this.prefilling.length === 0 && this.rows.length === 0) break;
        if (this.prefilling.length > 0) await this.prefillChunk(this.prefilling[0]!);
        this.reap();
        if (this.rows.length > 0) await this.decodeStep();
      }
    } finally {
      this.running = false;
      done();
    }
  }

  /** Finishes cancelled requests and drops their caches and batch rows. */
  private reap(): void {
    for (const r of this.waiting.filter((x) => x.cancelled)) r.finish('aborted');
    this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((x) => !x.finished));
    for (const r of this.prefilling.filter((x) => x.cancelled)) r.finish('aborted');
    this.prefilling.splice(0, this.prefilling.length, ...this.prefilling.filter((x) => !x.finished));
    for (const r of this.rows.filter((x) => x.cancelled && !x.finished)) r.finish('aborted');
    this.removeFinishedRows();
  }

  private async prefillChunk(request: GenerationRequest): Promise<void> {
    if (!request.kv) {
      request.kv = new KvCache(this.runner.signature, { maxRows: 1, window: this.contextWindow });
      request.kv.addRow();
    }
    const size = request.options.prefillChunkTokens ?? this.prefillChunkTokens;
    const chunk = request.promptIds.slice(request.prefilled, request.prefilled + size);
    try {
      const [logits] = await this.runner.run({ inputIds: chunk, sequenceLength: chunk.length, cache: request.kv });
      this.stats.prefillRuns++;
      request.prefilled += chunk.length;
      if (request.cancelled) return; // reaped (and its cache freed) at the next iteration
      if (request.prefilled < request.promptIds.length) return;
      this.prefilling.splice(this.prefilling.indexOf(request), 1);
      if (request.accept(request.sample(logits!))) this.join(request);
    } catch (error) {
      // It may have left the prefill list already (a failure while joining the batch).
      const at = this.prefilling.indexOf(request);
      if (at >= 0) this.prefilling.splice(at, 1);
      if (request.cancelled) request.finish('aborted');
      else request.fail(error);
    }
  }

  /** Copies a prefilled request's cache row into the batch and frees its own cache. */
  private join(request: GenerationRequest): void {
    const own = request.kv!;
    this.kv.addRowFrom(own, 0);
    this.rows.push(request);
    own.clear();
    request.kv = undefined;
  }

  /** Drops the rows of finished requests: each leaving row takes the batch's last row. */
  private removeFinishedRows(): void {
    for (let i = this.rows.length - 1; i >= 0; i--) {
      if (!this.rows[i]!.finished) continue;
      const moved = this.kv.removeRow(i);
      this.rows[i] = this.rows[moved]!;
      this.rows.pop();
    }
  }

  private async decodeStep(): Promise<void> {
    const rows = this.rows;
    try {
      const logits = await this.runner.run({ inputIds: rows.map((r) => r.nextToken), sequenceLength: 1, cache: this.kv });
      this.stats.decodeSteps++;
      this.stats.decodedRows += rows.length;
      this.stats.maxBatch = Math.max(this.stats.maxBatch, rows.length);
      for (const [i, r] of rows.entries()) if (!r.cancelled) r.accept(r.sample(logits[i]!));
    } catch (error) {
      this.kv.clear();
      this.rows = [];
      for (const r of rows) {
        if (r.cancelled) r.finish('aborted');
        else r.fail(error);
      }
      return;
    }
    this.removeFinishedRows();
  }
}
