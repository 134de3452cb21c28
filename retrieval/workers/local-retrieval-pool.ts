import type { Worker } from 'node:worker_threads';
import type {
  LocalRetrievalOptions,
  LocalRetrievalResult,
  LocalRetriever,
  LocalRetrieveRequest,
  LocalSource,
} from '../pipeline/local-retrieval.js';
import { DEFAULT_RANK_CANDIDATES } from '../ranking/index.js';
import { moduleExtension, startWorker } from '../start-worker.js';
import { RetrievalWorkerError } from './errors.js';
import type { PoolWorkerConfig, ToPool, ToWorker } from './pool-messages.js';

/** Where the pool reports worker trouble (`error`) and what workers found opening the index (`debug`). Pino's logger fits. */
export interface PoolLogger {
  debug(message: string): void;
  error(message: string): void;
}

/** Options of {@link LocalRetrievalPool.start}. */
export interface LocalRetrievalPoolOptions {
  /** Directory of the knowledge store (and of the vector files beside it). Required. */
  dataDir: string;
  /**
   * Worker threads. Each holds its own connection to the store and its own copy of the vector
   * index in memory (about 1.2 KiB per chunk at 256 dimensions). Required, at least 1.
   */
  workers: number;
  /** The vector index to search, or `null` for BM25 alone. Default `null`. */
  vectors?: PoolWorkerConfig['vectors'];
  /** How BM25 and vector evidence are combined (as `RetrievalPipelineOptions`). Default: score fusion at weight 0.01. */
  fusion?: LocalRetrievalOptions;
  /** Where crashes and restarts are reported. Default: nowhere. */
  logger?: PoolLogger;
  /**
   * The learned ranker's model files, which each worker loads to rank the corpus list where it was
   * found (the pipeline then receives ranked hits); `null` keeps fused order. Default `null`.
   */
  ranker?: PoolWorkerConfig['ranker'];
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  vectors: number;
  /** Questions sent to it and not yet answered. */
  searches: number;
}

interface Queued {
  query: string;
  request: LocalRetrieveRequest;
  resolve: (result: LocalRetrievalResult) => void;
  reject: (error: Error) => void;
}

/**
 * Questions a worker holds at once (it starts each as it arrives; they interleave at their await
 * points), so that it never idles while a message travels. The rest wait in one queue for the
 * first free worker, so a slow search (a common term's long posting list) holds up at most one
 * other; with a queue per worker, all behind it waited while the other worker idled. Measured on
 * 2 cores, `/v1/retrieve` at 16 connections, 512 distinct questions (`npm run bench -- --only
 * server`): a queue per worker 298–322 req/s, p99 101–103 ms (3 runs); one queue, 1 per worker
 * 280 req/s, p99 81–89 ms (2 runs); one queue, 2 per worker 304–360 req/s, p99 75–97 ms (5 runs; a
 * sixth, on a visibly slower machine, 235 req/s, p99 108 ms).
 */
const SEARCHES_PER_WORKER = 2;

const STARTUP_FAILURES_BEFORE_GIVING_UP = 3;

/**
 * The local retrievers (BM25 and vectors, fused) on a pool of worker threads, so that concurrent
 * questions use every core: each worker opens the store and the vector index itself; questions wait
 * in one queue and go to the least busy worker with room ({@link SEARCHES_PER_WORKER}). The vector index is
 * read, never written, by the workers: after the main thread synced it, {@link reloadVectors}
 * swaps it in. A worker that crashes fails only the questions it held and is replaced.
 *
 * @example
 * const pool = await LocalRetrievalPool.start({ dataDir: './data', workers: 2, vectors: {} });
 * const pipeline = new RetrievalPipeline({ store, local: pool });
 * await pool.close();
 */
export class LocalRetrievalPool implements LocalRetriever {
  readonly sources: readonly LocalSource[];
  readonly ranking?: { candidates: number };
  private readonly slots: Array<Slot | null>;
  private readonly config: PoolWorkerConfig;
  private readonly logger: PoolLogger | undefined;
  private nextId = 1;
  private readonly queue: Queued[] = [];
  private closed = false;
  private startupFailures = 0;
  /** Workers being restarted after a crash: questions wait for them rather than fail. */
  private restarting = 0;

  private constructor(options: LocalRetrievalPoolOptions) {
    this.config = {
      dataDir: options.dataDir,
      vectors: options.vectors ?? null,
      fusion: options.fusion ?? {},
      ranker: options.ranker ?? null,
    };
    if (this.config.ranker) this.ranking = { candidates: DEFAULT_RANK_CANDIDATES };
    this.logger = options.logger;
    this.sources = this.config.vectors ? ['corpus', 'vector'] : ['corpus'];
    this.slots = new Array<Slot | null>(options.workers).fill(null);
  }

  /** Starts the workers and resolves once every one has opened the store and the index. */
  static async start(options: LocalRetrievalPoolOptions): Promise<LocalRetrievalPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > 64) {
      throw new RetrievalWorkerError('INVALID_OPTIONS', `workers must be a whole number from 1 to 64, got ${options.workers}.`);
    }
    const pool = new LocalRetrievalPool(options);
    try {
      await Promise.all(pool.slots.map((_, i) => pool.spawn(i)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Running workers. */
  get size(): number {
    return this.slots.filter(Boolean).length;
  }

  /** Vectors each running worker's index holds. */
  get vectorCounts(): number[] {
    return this.slots.flatMap((s) => (s ? [s.vectors] : []));
  }

  retrieve(query: string, request: LocalRetrieveRequest): Promise<LocalRetrievalResult> {
    if (this.closed || (this.size === 0 && this.restarting === 0)) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      this.queue.push({ query, request, resolve, reject });
      this.pump();
    });
  }

  /**
   * Makes every worker load the vector files as they are now (after a sync wrote them): the new
   * index replaces the old one once it is loaded, so searches never wait for it.
   */
  async reloadVectors(): Promise<void> {
    if (!this.config.vectors) return;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (!slot) return;
        const id = this.nextId++;
        slot.vectors = await this.send<number>(slot, id, { type: 'reload', id });
      }),
    );
  }

  /** Stops the workers; questions they still held fail with `CLOSED`. */
  async close(): Promise<void> {
    this.closed = true;
    this.failQueued();
    await Promise.all(
      this.slots.map(async (slot, i) => {
        if (!slot) return;
        this.slots[i] = null;
        for (const p of slot.pending.values()) p.reject(new RetrievalWorkerError('CLOSED', 'The retrieval workers were closed.'));
        slot.pending.clear();
        // Let it close the store and the index itself; a worker busy past the grace time is stopped.
        const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
        slot.worker.postMessage({ type: 'close' } satisfies ToWorker);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
        clearTimeout(timer);
        await slot.worker.terminate();
      }),
    );
  }

  /** Sends waiting questions to free workers, least busy first. */
  private pump(): void {
    while (this.queue.length > 0) {
      let slot: Slot | null = null;
      for (const s of this.slots) if (s && s.searches < SEARCHES_PER_WORKER && (!slot || s.searches < slot.searches)) slot = s;
      if (!slot) return;
      const { query, request, resolve, reject } = this.queue.shift()!;
      const id = this.nextId++;
      const chosen = slot;
      chosen.searches++;
      this.send<LocalRetrievalResult>(chosen, id, { type: 'retrieve', id, query, request })
        .then(resolve, reject)
        .finally(() => {
          chosen.searches--;
          this.pump();
        });
    }
  }

  /** Fails the waiting questions when no worker is left to answer them. */
  private failQueued(): void {
    if (!this.closed && (this.size > 0 || this.restarting > 0)) return;
    const error = this.unavailable();
    for (const q of this.queue.splice(0)) q.reject(error);
  }

  private unavailable(): RetrievalWorkerError {
    return this.closed
      ? new RetrievalWorkerError('CLOSED', 'The retrieval workers were closed.')
      : new RetrievalWorkerError('UNAVAILABLE', 'No retrieval worker is running.');
  }

  private send<T>(slot: Slot, id: number, message: ToWorker): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      slot.worker.postMessage(message);
    });
  }

  /** Starts the worker of slot `index`; resolves when it is ready, rejects when it cannot start. */
  private spawn(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = startWorker(new URL(`./local-retrieval-worker${moduleExtension(import.meta.url)}`, import.meta.url), this.config);
      const slot: Slot = { worker, pending: new Map(), vectors: 0, searches: 0 };
      // starting → running → gone; a worker is lost once, though it may send both 'error' and 'exit'.
      let state: 'starting' | 'running' | 'gone' = 'starting';
      worker.on('message', (message: ToPool) => {
        switch (message.type) {
          case 'ready':
            state = 'running';
            slot.vectors = message.vectors;
            this.slots[index] = slot;
            this.startupFailures = 0;
            resolve();
            this.pump();
            break;
          case 'failed':
            state = 'gone';
            reject(
              new RetrievalWorkerError('START_FAILED', `A retrieval worker could not open ${this.config.dataDir}: ${message.message}`),
            );
            void worker.terminate();
            break;
          case 'result':
            this.settle(slot, message.id, (p) => p.resolve(message.result));
            break;
          case 'reloaded':
            this.settle(slot, message.id, (p) => p.resolve(message.vectors));
            break;
          case 'error':
            this.settle(slot, message.id, (p) => p.reject(new RetrievalWorkerError('FAILED', message.message)));
            break;
          case 'log':
            this.logger?.debug(`retrieval worker ${index + 1}: ${message.message}`);
            break;
        }
      });
      const lost = (why: string) => {
        if (state === 'gone') return;
        const wasRunning = state === 'running';
        state = 'gone';
        if (this.slots[index] === slot) this.slots[index] = null;
        const failure = new RetrievalWorkerError('WORKER_CRASHED', `A retrieval worker stopped (${why}).`);
        for (const p of slot.pending.values()) p.reject(failure);
        slot.pending.clear();
        if (!wasRunning) {
          reject(new RetrievalWorkerError('START_FAILED', `A retrieval worker stopped while starting (${why}).`));
          return;
        }
        if (this.closed) return;
        this.logger?.error(`retrieval worker ${index + 1} stopped (${why}); starting another`);
        this.respawn(index);
      };
      worker.on('error', (error) => lost(error.message));
      worker.on('exit', (code) => lost(`exit code ${code}`));
    });
  }

  private respawn(index: number): void {
    this.restarting++;
    this.spawn(index).then(
      () => {
        this.restarting--;
      },
      (error: unknown) => {
        this.restarting--;
        this.startupFailures++;
        if (this.closed) return;
        if (this.startupFailures >= STARTUP_FAILURES_BEFORE_GIVING_UP) {
          this.logger?.error(`retrieval worker ${index + 1} could not be restarted: ${(error as Error).message}`);
          this.failQueued();
          return;
        }
        this.restarting++;
        setTimeout(() => {
          this.restarting--;
          this.respawn(index);
        }, 1000 * this.startupFailures).unref();
      },
    );
  }

  private settle(slot: Slot, id: number, action: (pending: Pending) => void): void {
    const pending = slot.pending.get(id);
    if (!pending) return;
    slot.pending.delete(id);
    action(pending);
  }
}
