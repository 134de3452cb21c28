import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import hnswlib from 'hnswlib-node';
import { PRIVATE_DIR_MODE } from '../../knowledge/files/index.js';
import { writeFileAtomic } from '../../model/files/index.js';
import { VectorIndexError } from './errors.js';
import {
  checkFile,
  decodeLabels,
  encodeLabels,
  readMeta,
  VECTOR_META_VERSION,
  vectorIndexPaths,
  type VectorIndexMeta,
  type VectorIndexPaths,
} from './index-files.js';
import { runIndexBuild, type IndexBuildJob, type IndexBuildResult } from './index-build-job.js';
import { runIndexBuildInWorker } from './index-worker-client.js';

/** Where the index reports what it found on disk and what it rebuilds. Pino's logger fits. */
export interface VectorIndexLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** What the index holds vectors of: an embedding model's identity (`EmbeddingModel` fits). */
export interface EmbedderIdentity {
  readonly id: string;
  readonly dimension: number;
}

/** Options of {@link VectorIndex.open}. */
export interface VectorIndexOptions {
  /** Directory of the knowledge store; the index files live beside `galen.sqlite`. Required. */
  dataDir: string;
  /** The embedder whose vectors the index must hold; an index built by another is rebuilt. Required. */
  embedder: EmbedderIdentity;
  /** Where rebuilds and repairs are reported. Required: a rebuild is never silent. */
  logger: VectorIndexLogger;
  /** HNSW graph degree (hnswlib's `M`). Default 16. A change rebuilds the index. */
  m?: number;
  /** Candidate list size while building. Default 200. A change rebuilds the index. */
  efConstruction?: number;
  /** Candidate list size while searching (raised to `k` when smaller). Default {@link DEFAULT_EF_SEARCH}. */
  efSearch?: number;
  /**
   * Share of graph elements that may be deleted-but-present before an update compacts the graph
   * (removals in HNSW only mark elements; they still cost memory and search time). Default 0.25.
   */
  maxDeletedRatio?: number;
  /**
   * Updates whose graph ends up with at most this many elements are built on the calling thread:
   * starting a worker costs more (about a second from the TypeScript sources) than adding a
   * thousand vectors (about 0.2 s). Default {@link DEFAULT_INLINE_BUILD_LIMIT}; 0 always uses the worker.
   */
  inlineBuildLimit?: number;
  /**
   * Hash the index and labels files against their meta file at open. Default true; `false` checks
   * their sizes only, for readers of files a writer has just checked and saved (retrieval workers
   * reloading after the main thread's sync: hashing them again costs a full read per worker).
   */
  verifyChecksums?: boolean;
}

/** Default of {@link VectorIndexOptions.inlineBuildLimit}. */
export const DEFAULT_INLINE_BUILD_LIMIT = 1000;

/**
 * Measured on the shared corpus (53,058 chunks, LSA-256 vectors `lsa-v1:37e1b68fbd026d4d`, M 16,
 * efConstruction 200) with 1,000 queries (500 PubMedQA dev questions, 500 MedQuAD paraphrases):
 * recall@10 against exact brute-force cosine, and mean search time on the 2-core build machine:
 * efSearch 10 → 0.845 (0.11 ms), 16 → 0.899, 24 → 0.930, 32 → 0.946, 48 → 0.964, 64 → 0.971 (0.20 ms),
 * 96 → 0.985 (0.27 ms), 128 → 0.988 (0.33 ms), 200 → 0.993 (0.48 ms). 128 is the first value with a
 * margin over the 0.98 target (96 meets it only just); counting tied scores as hits changes nothing.
 */
export const DEFAULT_EF_SEARCH = 128;
const DEFAULT_M = 16;
const DEFAULT_EF_CONSTRUCTION = 200;
/** hnswlib's default level seed, fixed so the same inserts build the same graph. */
const HNSW_SEED = 100;
const MAX_K = 1000;
/** Memory for stored vectors kept by {@link VectorIndex.similarities}: 64 MiB, all of the seed corpus's 26,000 at 256 dimensions. */
const STORED_VECTOR_CACHE_BYTES = 64 * 2 ** 20;
/** Stored vectors {@link VectorIndex.warm} reads before it lets other work run (a few milliseconds). */
const WARM_SLICE = 256;

/** A nearest chunk: its row id and cosine similarity to the query (1 = same direction). */
export interface VectorHit {
  chunkId: number;
  score: number;
}

/** Vectors to add or replace and labels to remove, for {@link VectorIndex.exclusive}'s `apply`. */
export interface VectorChanges {
  /** Chunk row ids to add, or whose vector to replace. */
  labels: readonly number[];
  /** A key of each added chunk's content (see `syncVectorIndex`), stored to notice reused row ids. */
  contentKeys: readonly number[];
  /** One unit vector per label, of the index's dimension. */
  vectors: readonly Float32Array[];
  /** Chunk row ids to remove. Unknown ones are ignored. */
  remove: readonly number[];
}

/**
 * An HNSW (hnswlib, cosine) index of chunk vectors, labels = chunk row ids, kept in
 * `<dataDir>/vectors.hnsw` with `vectors.labels` (live labels and content keys) and
 * `vectors.meta.json` (embedder id, dimension, M, efConstruction, efSearch, counts, and the size and
 * SHA-256 of both files). Opening checks all of it: a missing or corrupted file, or an index built
 * for another embedder, dimension or graph shape, is logged and replaced by an empty index, which
 * the next {@link syncVectorIndex} fills — never silently wrong vectors. Updates are built in a
 * worker thread and saved atomically; searches keep using the previous graph until the new one is
 * loaded.
 *
 * @example
 * const index = await VectorIndex.open({ dataDir: './data', embedder, logger });
 * await syncVectorIndex(store, index, embedder);
 * const [vector] = await embedder.embed(['what causes gout?']);
 * index.search(vector!, 10); // → [{ chunkId: 4711, score: 0.83 }, …]
 */
export class VectorIndex {
  readonly dimension: number;
  readonly embedderId: string;
  readonly m: number;
  readonly efConstruction: number;
  readonly efSearch: number;
  private readonly paths: VectorIndexPaths;
  private readonly maxDeletedRatio: number;
  private graph: hnswlib.HierarchicalNSW | null = null;
  /** Stored vectors already read out of `graph` for {@link similarities}, by label; emptied whenever the graph is replaced. */
  private stored = new Map<number, Float32Array>();
  private live = new Map<number, number>();
  private elements = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Why the files on disk were not used at open, or `null` when they were. */
  private rebuild: string | null = null;

  private constructor(
    private readonly options: VectorIndexOptions,
    readonly logger: VectorIndexLogger,
  ) {
    this.dimension = options.embedder.dimension;
    this.embedderId = options.embedder.id;
    this.m = positiveInteger(options.m ?? DEFAULT_M, 'm', 2, 200);
    this.efConstruction = positiveInteger(options.efConstruction ?? DEFAULT_EF_CONSTRUCTION, 'efConstruction', 1, 10_000);
    this.efSearch = positiveInteger(options.efSearch ?? DEFAULT_EF_SEARCH, 'efSearch', 1, 10_000);
    positiveInteger(this.dimension, 'embedder.dimension', 1, 65_536);
    this.maxDeletedRatio = options.maxDeletedRatio ?? 0.25;
    if (!(this.maxDeletedRatio >= 0 && this.maxDeletedRatio <= 1)) {
      throw new VectorIndexError('INVALID_OPTIONS', `maxDeletedRatio must be in [0, 1], got ${this.maxDeletedRatio}.`);
    }
    this.paths = vectorIndexPaths(options.dataDir);
  }

  /** Opens the index in `dataDir`, or an empty one (logged) when the files are missing or unusable. */
  static async open(options: VectorIndexOptions): Promise<VectorIndex> {
    const index = new VectorIndex(options, options.logger);
    await mkdir(options.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await index.load();
    return index;
  }

  /** Live vectors in the index. */
  get count(): number {
    return this.live.size;
  }

  /** Why the index on disk was discarded at open (it is rebuilt by the next sync), or `null`. */
  get rebuildReason(): string | null {
    return this.rebuild;
  }

  /** The live labels (chunk row ids) with their content keys. */
  contentKeys(): ReadonlyMap<number, number> {
    return this.live;
  }

  /**
   * The `k` (default 10, at most 1,000) chunks whose vectors are most cosine-similar to `vector`,
   * best first. An all-zero or non-finite vector (an embedder's answer to an empty or unknown
   * query) finds nothing. Throws `DIMENSION_MISMATCH` for a vector of the wrong length.
   */
  search(vector: ArrayLike<number>, k = 10): VectorHit[] {
    this.assertOpen();
    if (vector.length !== this.dimension) {
      throw new VectorIndexError(
        'DIMENSION_MISMATCH',
        `Query vector has ${vector.length} values; the index holds ${this.dimension}-dimension vectors.`,
      );
    }
    const graph = this.graph;
    if (!graph || this.live.size === 0) return [];
    let norm = 0;
    for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
    if (!(norm > 0) || !Number.isFinite(norm)) return [];
    const wanted = Math.min(MAX_K, Math.max(1, Math.floor(Number.isFinite(k) ? k : 10)), this.live.size);
    graph.setEf(Math.max(this.efSearch, wanted));
    const { neighbors, distances } = graph.searchKnn(Array.from(vector), Math.min(wanted, graph.getMaxElements()));
    return neighbors.map((chunkId, i) => ({ chunkId, score: 1 - distances[i]! }));
  }

  /**
   * Cosine similarity of `vector` to the stored vectors of `labels` (chunk row ids); labels without
   * a live vector are left out. What re-scores another retriever's candidates exactly, where a
   * k-nearest search would only score the few that happen to be among the nearest.
   */
  similarities(vector: ArrayLike<number>, labels: readonly number[]): Map<number, number> {
    this.assertOpen();
    if (vector.length !== this.dimension) {
      throw new VectorIndexError(
        'DIMENSION_MISMATCH',
        `Query vector has ${vector.length} values; the index holds ${this.dimension}-dimension vectors.`,
      );
    }
    const out = new Map<number, number>();
    const graph = this.graph;
    if (!graph) return out;
    let norm = 0;
    for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
    if (!(norm > 0) || !Number.isFinite(norm)) return out;
    const scale = 1 / Math.sqrt(norm);
    for (const label of labels) {
      if (!this.live.has(label) || out.has(label)) continue;
      // hnswlib keeps cosine-space vectors normalised, so the dot product is the cosine.
      const stored = this.storedVector(graph, label);
      let dot = 0;
      for (let i = 0; i < stored.length; i++) dot += stored[i]! * vector[i]!;
      out.set(label, dot * scale);
    }
    return out;
  }

  /**
   * Runs `task` after every queued update and before any later one, handing it an `apply` that
   * updates at once (calling the queued {@link apply} from inside would wait for itself). What
   * `syncVectorIndex` uses so that its diff, embedding and update see no concurrent change.
   */
  exclusive<T>(task: (apply: (changes: VectorChanges) => Promise<void>) => Promise<T>): Promise<T> {
    const run = this.queue.then(
      () => task((changes) => this.applyNow(changes)),
      () => task((changes) => this.applyNow(changes)),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Empties the index in memory (the files are replaced by the next `apply`), logging why. */
  reset(reason: string): void {
    this.logger.warn(`Vector index in ${this.options.dataDir} will be rebuilt: ${reason}.`);
    this.rebuild = reason;
    this.useGraph(null);
    this.live = new Map();
    this.elements = 0;
  }

  /**
   * Reads the live chunks' stored vectors into the cache {@link similarities} uses (up to its
   * budget), a slice at a time between other work, so that early questions' candidates are not
   * read one getPoint at a time. Stops when the graph is replaced or the index closed.
   */
  async warm(): Promise<void> {
    const graph = this.graph;
    let read = 0;
    for (const label of [...this.live.keys()]) {
      if (this.graph !== graph || !graph || this.closed) return;
      if (this.stored.size * this.dimension * 4 >= STORED_VECTOR_CACHE_BYTES) return;
      this.storedVector(graph, label);
      if (++read % WARM_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Releases the graph; later calls throw `CLOSED`. Queued updates still finish writing. */
  close(): void {
    this.closed = true;
    this.useGraph(null);
  }

  private useGraph(graph: hnswlib.HierarchicalNSW | null): void {
    this.graph = graph;
    this.stored = new Map();
  }

  /**
   * The stored (unit) vector of `label`. hnswlib's getPoint builds a JS array of numbers each call
   * (about 20 µs at 256 dimensions, 15 % of a question's search time when every BM25 candidate is
   * re-scored), so vectors read once are kept, up to {@link STORED_VECTOR_CACHE_BYTES}: the same
   * float32 values, so similarities are exactly those getPoint gives.
   */
  private storedVector(graph: hnswlib.HierarchicalNSW, label: number): Float32Array {
    let vector = this.stored.get(label);
    if (!vector) {
      vector = Float32Array.from(graph.getPoint(label));
      if (this.stored.size * this.dimension * 4 < STORED_VECTOR_CACHE_BYTES) this.stored.set(label, vector);
    }
    return vector;
  }

  private async applyNow(changes: VectorChanges): Promise<void> {
    this.assertOpen();
    const d = this.dimension;
    const n = changes.labels.length;
    if (changes.vectors.length !== n || changes.contentKeys.length !== n) {
      throw new VectorIndexError(
        'INVALID_VECTORS',
        `${n} labels, ${changes.vectors.length} vectors and ${changes.contentKeys.length} content keys.`,
      );
    }
    const next = new Map(this.live);
    const remove = changes.remove.filter((label) => next.delete(label));
    const addVectors = new Float32Array(n * d);
    changes.vectors.forEach((v, i) => {
      if (v.length !== d) throw new VectorIndexError('INVALID_VECTORS', `Vector ${i} has ${v.length} values, not ${d}.`);
      addVectors.set(v, i * d);
    });
    for (let i = 0; i < addVectors.length; i++) {
      if (!Number.isFinite(addVectors[i]!))
        throw new VectorIndexError('INVALID_VECTORS', `Vector ${Math.floor(i / d)} holds a non-finite value.`);
    }
    changes.labels.forEach((label, i) => {
      if (!Number.isSafeInteger(label) || label < 0) throw new VectorIndexError('INVALID_VECTORS', `Label ${label} is not a row id.`);
      next.set(label, changes.contentKeys[i]!);
    });
    if (n === 0 && remove.length === 0 && this.graph) return;

    const added = new Set(changes.labels);
    const fromFile = this.graph !== null && this.elements > 0;
    // Elements that will be dead after this update: earlier deletions, this one's, and none re-added.
    const dead = this.elements - this.live.size + remove.length;
    const compact = fromFile && dead > this.maxDeletedRatio * (this.elements + n);
    const job: IndexBuildJob = {
      file: this.paths.index,
      dimension: d,
      m: this.m,
      efConstruction: this.efConstruction,
      seed: HNSW_SEED,
      base: fromFile ? 'file' : 'empty',
      compact,
      keep: compact ? Float64Array.from([...next.keys()].filter((label) => !added.has(label))) : new Float64Array(0),
      remove: Float64Array.from(remove),
      addLabels: Float64Array.from(changes.labels),
      addVectors,
    };
    const small = (fromFile ? this.elements : 0) + n <= (this.options.inlineBuildLimit ?? DEFAULT_INLINE_BUILD_LIMIT);
    const result = small ? runIndexBuild(job) : await runIndexBuildInWorker(job);
    await this.commit(next, result);
    if (compact) this.logger.info(`Vector index compacted: ${dead} deleted elements dropped, ${next.size} kept.`);
  }

  /** Writes the labels and meta files for a graph the worker wrote, then loads that graph. */
  private async commit(live: Map<number, number>, result: IndexBuildResult): Promise<void> {
    const labelBytes = encodeLabels(live);
    await writeFileAtomic(this.paths.labels, labelBytes);
    const labels = { bytes: labelBytes.length, sha256: createHash('sha256').update(labelBytes).digest('hex') };
    const meta: VectorIndexMeta = {
      format: 'galen-vectors',
      version: VECTOR_META_VERSION,
      embedderId: this.embedderId,
      dimension: this.dimension,
      space: 'cosine',
      m: this.m,
      efConstruction: this.efConstruction,
      efSearch: this.efSearch,
      count: live.size,
      elements: result.elements,
      index: { bytes: result.bytes, sha256: result.sha256 },
      labels,
      updatedAt: new Date().toISOString(),
    };
    // The meta file goes last: until it names the new files' checksums, an open sees a mismatch and rebuilds.
    await writeFileAtomic(this.paths.meta, `${JSON.stringify(meta, null, 2)}\n`);
    const graph = new hnswlib.HierarchicalNSW('cosine', this.dimension);
    await graph.readIndex(this.paths.index);
    if (this.closed) return;
    this.useGraph(graph);
    this.live = live;
    this.elements = result.elements;
    this.rebuild = null;
  }

  private async load(): Promise<void> {
    const where = this.options.dataDir;
    const meta = await readMeta(this.paths.meta);
    if (meta === null) {
      const index = await checkFile(this.paths.index);
      if (index === null) {
        this.rebuild = 'no vector index yet';
        this.logger.info(`No vector index in ${where} yet; the next sync builds it.`);
      } else {
        this.reset(`${this.paths.meta} is missing`);
      }
      return;
    }
    if (meta instanceof Error) return this.reset(`${this.paths.meta} is unusable (${meta.message})`);
    const mismatch =
      meta.embedderId !== this.embedderId
        ? `it holds vectors of embedder ${meta.embedderId}, not ${this.embedderId}`
        : meta.dimension !== this.dimension
          ? `its dimension is ${meta.dimension}, not ${this.dimension}`
          : meta.m !== this.m || meta.efConstruction !== this.efConstruction
            ? `it was built with M ${meta.m} / efConstruction ${meta.efConstruction}, now ${this.m} / ${this.efConstruction}`
            : null;
    if (mismatch) return this.reset(mismatch);
    const verify = this.options.verifyChecksums ?? true;
    const check = (file: string) => (verify ? checkFile(file) : checkFile(file, false));
    const matches = (found: { bytes: number; sha256: string | null }, expected: { bytes: number; sha256: string }) =>
      found.bytes === expected.bytes && (!verify || found.sha256 === expected.sha256);
    const [index, labels] = await Promise.all([check(this.paths.index), check(this.paths.labels)]);
    if (!index) return this.reset(`${this.paths.index} is missing`);
    if (!matches(index, meta.index)) return this.reset(`${this.paths.index} does not match its checksum (corrupted or partly written)`);
    if (!labels || !matches(labels, meta.labels)) return this.reset(`${this.paths.labels} is missing or does not match its checksum`);
    let live: Map<number, number>;
    const graph = new hnswlib.HierarchicalNSW('cosine', this.dimension);
    try {
      live = decodeLabels(await readFile(this.paths.labels));
      await graph.readIndex(this.paths.index);
    } catch (error) {
      return this.reset(`the index files cannot be read (${(error as Error).message})`);
    }
    if (live.size !== meta.count || graph.getCurrentCount() !== meta.elements || graph.getNumDimensions() !== this.dimension) {
      return this.reset('the index files disagree with their meta file');
    }
    this.useGraph(graph);
    this.live = live;
    this.elements = meta.elements;
    this.logger.info(`Vector index loaded from ${where}: ${live.size} vectors (${this.embedderId}).`);
  }

  private assertOpen(): void {
    if (this.closed) throw new VectorIndexError('CLOSED', 'The vector index was closed.');
  }
}

function positiveInteger(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new VectorIndexError('INVALID_OPTIONS', `${name} must be an integer in ${min}–${max}, got ${value}.`);
  }
  return value;
}
