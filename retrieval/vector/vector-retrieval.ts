import { mkdir, rm, stat } from 'node:fs/promises';
import { PRIVATE_DIR_MODE, type KnowledgeStore } from '../../knowledge/index.js';
import { EmbeddingError, LsaEmbedder, type EmbeddingModel, type LsaOptions } from '../../model/embedding/index.js';
import { noVectorResult, type VectorSearcher } from '../pipeline/local-retrieval.js';
import { chunkEmbeddingText } from './chunk-embedding-text.js';
import { VectorIndexError } from './errors.js';
import { readMeta, vectorIndexPaths } from './index-files.js';
import { acquireIndexLock, type IndexLockHolder } from './index-lock.js';
import { runInWorker } from './index-worker-client.js';
import { corpusDrift, evenSample, lsaPaths, readLsaState, writeLsaState, type LsaFitJob, type LsaState } from './lsa-state.js';
import { syncVectorIndex, type SyncOptions, type SyncReport } from './sync-vector-index.js';
import { DEFAULT_INLINE_BUILD_LIMIT, VectorIndex, type VectorIndexLogger } from './vector-index.js';

/** Options of {@link openVectorRetrieval}. */
export interface VectorRetrievalOptions {
  /** Directory of the knowledge store; the model and index files live beside `galen.sqlite`. Required. */
  dataDir: string;
  /** The store whose chunks are indexed. Required. */
  store: KnowledgeStore;
  /** Where loads, fits, repairs and rebuilds are reported (pino's logger fits). Required. */
  logger: VectorIndexLogger;
  /**
   * The embedder. Default: the built-in LSA embedder, fitted on the store's chunks at the first
   * sync and kept in `<dataDir>/lsa.model` (with `lsa.state.json`), refitted when the store drifts.
   */
  embedder?: EmbeddingModel;
  /** Options of the built-in embedder's fit. Default `DEFAULT_LSA_OPTIONS` (dimension 256). */
  lsa?: LsaOptions;
  /**
   * Share of the fitted chunks added or removed since the fit at which a sync refits the built-in
   * embedder (and so rebuilds the index). Default 0.25: a new source of a quarter of the corpus
   * brings vocabulary the old model cannot place, while routine refreshes do not cost a rebuild.
   */
  refitDrift?: number;
  /**
   * Most chunk texts the built-in embedder is fitted on; larger stores are sampled evenly in row-id
   * order. Default 200,000 (about 2 minutes and 2 GB of fitting at dimension 256).
   */
  maxFitTexts?: number;
  /**
   * Stores of at most this many chunks fit the built-in embedder, and build the index, on the
   * calling thread rather than in a worker, which costs more to start than the work. Default 1,000.
   */
  inlineLimit?: number;
  /** HNSW graph degree. Default 16 (see `VectorIndexOptions`). */
  m?: number;
  /** HNSW build candidate list size. Default 200. */
  efConstruction?: number;
  /** HNSW search candidate list size. Default `DEFAULT_EF_SEARCH` (128). */
  efSearch?: number;
  /** See `VectorIndexOptions.verifyChecksums`. Default true. */
  verifyChecksums?: boolean;
  /** What this process is, for another one waiting for the vector files while it syncs (see `acquireIndexLock`). Default `galen`. */
  holder?: string;
}

/** Options of {@link VectorRetrieval.sync}. */
export interface VectorSyncOptions extends SyncOptions {
  /**
   * What just changed the store (e.g. `ingest`): its changes are expected and logged as an update.
   * Default none: changes found are logged as a repair of an index that fell out of step.
   */
  after?: string;
  /** Called while another process syncs the vector files (a sync waits for it, then reuses its work). */
  onWait?: (holder: IndexLockHolder) => void;
}

/** What {@link VectorRetrieval.sync} did: the index sync, plus whether the embedder was (re)fitted and why. */
export interface VectorSyncReport extends SyncReport {
  /** The embedder the index now holds vectors of, or `null` when there is nothing to embed. */
  embedderId: string | null;
  /** Why the built-in embedder was fitted during this sync, or `null`. */
  refitted: string | null;
  fitMs: number;
}

/** The state of the vector files of a data directory, as `galen index status` shows it. */
export interface VectorIndexStatus {
  dataDir: string;
  /** Chunks in the store. */
  storeChunks: number;
  /** The built-in embedder's saved model, when there is one. */
  lsa: { modelId: string | null; modelBytes: number; fittedChunks: number | null; fittedAt: string | null } | null;
  /** The index files, when a usable meta file exists. */
  index: {
    embedderId: string;
    dimension: number;
    count: number;
    elements: number;
    m: number;
    efConstruction: number;
    efSearch: number;
    indexBytes: number;
    labelsBytes: number;
    updatedAt: string;
  } | null;
  /** `true` when the index holds one vector per chunk of the store (by count). */
  inStep: boolean;
  /** What is wrong, when something is (no index yet, unusable meta file, count mismatch). */
  problem: string | null;
}

/** Vector retrieval wired to a store: a searcher for the pipeline, and the upkeep of its files. */
export interface VectorRetrieval {
  /** Embeds a question and searches the index; finds nothing until the first sync has built it. */
  readonly searcher: VectorSearcher;
  /** The current embedder, or `null` while the built-in one has not been fitted. */
  readonly embedder: EmbeddingModel | null;
  /** Live vectors. */
  readonly count: number;
  /**
   * Brings model and index in step with the store: fits the built-in embedder when it has none or
   * the store drifted (logged), embeds new chunks, drops removed ones, repairs a mismatch found at
   * open (logged). Calls run one at a time, and one process at a time per data directory: a sync
   * waits while another process syncs (`onWait` says who, with its progress), then first reloads
   * the model and index files that process wrote, so their work is reused rather than redone.
   */
  sync(options?: VectorSyncOptions): Promise<VectorSyncReport>;
  /** Throws the model (built-in embedder) and index away and builds both anew from the store. */
  rebuild(options?: SyncOptions): Promise<VectorSyncReport>;
  status(): Promise<VectorIndexStatus>;
  /** Whether another process rewrote the model or index files since this one last read or wrote them (the next sync reloads them). */
  filesChanged(): Promise<boolean>;
  /**
   * Reads the index's stored vectors into memory in the background (see `VectorIndex.warm`), for
   * a process that will search: the first questions then re-score their candidates as fast as later ones.
   */
  warm(): Promise<void>;
  /** Releases the index; later searches find nothing, later syncs throw `CLOSED`. */
  close(): void;
}

const DEFAULT_REFIT_DRIFT = 0.25;
const DEFAULT_MAX_FIT_TEXTS = 200_000;
const TEXT_PAGE = 2000;

/**
 * Opens vector retrieval for a store: loads the embedder (the built-in LSA model from
 * `<dataDir>/lsa.model` unless one is given) and the HNSW index beside the store. Cheap: nothing
 * is fitted or built here; call {@link VectorRetrieval.sync} (at start, and after every ingest,
 * refresh or removal) to fit, build or repair. A model or index file that is missing, corrupted or
 * made by another embedder is logged and rebuilt by that sync, never used.
 *
 * @example
 * const vectors = await openVectorRetrieval({ dataDir: './data', store, logger });
 * await vectors.sync(); // first time: fits LSA (≈30 s for the shared corpus) and builds the index
 * const pipeline = new RetrievalPipeline({ store, vector: vectors.searcher });
 */
export async function openVectorRetrieval(options: VectorRetrievalOptions): Promise<VectorRetrieval> {
  const refitDrift = options.refitDrift ?? DEFAULT_REFIT_DRIFT;
  if (!(refitDrift > 0)) throw new VectorIndexError('INVALID_OPTIONS', `refitDrift must be above 0, got ${refitDrift}.`);
  const maxFitTexts = options.maxFitTexts ?? DEFAULT_MAX_FIT_TEXTS;
  if (!Number.isInteger(maxFitTexts) || maxFitTexts < 2)
    throw new VectorIndexError('INVALID_OPTIONS', `maxFitTexts must be a whole number ≥ 2, got ${maxFitTexts}.`);
  const inlineLimit = options.inlineLimit ?? DEFAULT_INLINE_BUILD_LIMIT;
  await mkdir(options.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { store, logger, dataDir } = options;
  const builtIn = options.embedder === undefined;
  const paths = lsaPaths(dataDir);
  const indexOptions = {
    dataDir,
    logger,
    ...(options.m !== undefined ? { m: options.m } : {}),
    ...(options.efConstruction !== undefined ? { efConstruction: options.efConstruction } : {}),
    ...(options.efSearch !== undefined ? { efSearch: options.efSearch } : {}),
    ...(options.verifyChecksums !== undefined ? { verifyChecksums: options.verifyChecksums } : {}),
    inlineBuildLimit: inlineLimit,
  };

  let embedder: EmbeddingModel | null = options.embedder ?? null;
  if (builtIn) embedder = await loadLsa(paths.model, logger);
  let index: VectorIndex | null = embedder ? await VectorIndex.open({ ...indexOptions, embedder }) : null;
  let closed = false;
  let synced = false;
  let queue: Promise<unknown> = Promise.resolve();
  const indexFiles = vectorIndexPaths(dataDir);
  /** What the model and index files said when this process last read or wrote them. */
  const diskStamp = async (): Promise<string> => {
    const [meta, state] = await Promise.all([readMeta(indexFiles.meta), readLsaState(paths.state)]);
    return JSON.stringify([
      meta instanceof Error ? 'unusable' : (meta?.updatedAt ?? null),
      state?.modelId ?? null,
      state?.fittedAt ?? null,
    ]);
  };
  let knownStamp = await diskStamp();

  /** Loads the files again when another process rewrote them since this one last did. */
  const reloadIfChanged = async (): Promise<void> => {
    if ((await diskStamp()) === knownStamp) return;
    const model = builtIn ? await loadLsa(paths.model, logger) : embedder;
    const next = model ? await VectorIndex.open({ ...indexOptions, embedder: model }) : null;
    const old = index;
    index = next;
    embedder = model;
    if (old !== next) old?.close();
    logger.info(
      `The vector files were updated by another process: reloaded them (${next?.count ?? 0} vectors${model ? `, ${model.id}` : ''}).`,
    );
  };

  /** Runs a sync holding the data directory's lock, after taking in what another process wrote. */
  const locked = (syncOptions: VectorSyncOptions, work: (options: VectorSyncOptions) => Promise<VectorSyncReport>) =>
    exclusive(async () => {
      if (closed) throw new VectorIndexError('CLOSED', 'Vector retrieval was closed.');
      const lock = await acquireIndexLock(dataDir, {
        holder: options.holder ?? 'galen',
        ...(syncOptions.onWait ? { onWait: syncOptions.onWait } : {}),
        ...(syncOptions.signal ? { signal: syncOptions.signal } : {}),
      });
      try {
        await reloadIfChanged();
        const report = await work({
          ...syncOptions,
          onProgress: (p) => {
            lock.progress(p.embedded, p.total);
            syncOptions.onProgress?.(p);
          },
        });
        knownStamp = await diskStamp();
        return report;
      } finally {
        lock.release();
      }
    });

  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Fits and saves a new built-in model and opens an (empty) index for it; the caller syncs and swaps them in. */
  const fit = async (reason: string): Promise<{ fitMs: number; model: LsaEmbedder; next: VectorIndex }> => {
    const started = performance.now();
    const ids: number[] = [];
    for (const { chunkId } of store.chunkKeys()) ids.push(chunkId);
    const sample = new Set(evenSample(ids.length, maxFitTexts));
    const texts: string[] = [];
    let position = 0;
    for (const page of store.allChunkTexts(TEXT_PAGE)) {
      for (const chunk of page) if (sample.has(position++)) texts.push(chunkEmbeddingText(chunk));
    }
    logger.info(`Fitting the built-in LSA embedder on ${texts.length} of ${ids.length} chunks (${reason}).`);
    const job: LsaFitJob = { texts, options: options.lsa ?? {}, file: paths.model };
    let model: LsaEmbedder;
    if (texts.length <= inlineLimit) {
      try {
        model = LsaEmbedder.fit(texts, job.options);
      } catch (error) {
        if (error instanceof EmbeddingError && error.code === 'EMPTY_CORPUS') throw new VectorIndexError('EMPTY_CORPUS', error.message);
        throw error;
      }
      await model.save(paths.model);
    } else {
      await runInWorker<{ id: string; dimension: number }>('lsa-fit-worker', job);
      model = await LsaEmbedder.load(paths.model);
    }
    const state: LsaState = {
      format: 'galen-lsa-state',
      version: 1,
      modelId: model.id,
      fittedChunks: ids.length,
      fittedMaxChunkId: ids.length ? ids[ids.length - 1]! : 0,
      fittedTexts: texts.length,
      fittedAt: new Date().toISOString(),
    };
    await writeLsaState(paths.state, state);
    const fitMs = performance.now() - started;
    logger.info(`Fitted LSA embedder ${model.id} (${model.dimension} dimensions) in ${(fitMs / 1000).toFixed(1)} s.`);
    // The new model has another id: this index notices and is rebuilt by the sync; until then
    // searches keep using the old model and graph, which stay in memory.
    const next = await VectorIndex.open({ ...indexOptions, embedder: model });
    return { fitMs, model, next };
  };

  /** Why the built-in embedder must be (re)fitted now, or `null`. */
  const refitReason = async (): Promise<string | null> => {
    if (!embedder) return 'no model yet';
    const state = await readLsaState(paths.state);
    const ids = (function* () {
      for (const { chunkId } of store.chunkKeys()) yield chunkId;
    })();
    if (!state || state.modelId !== embedder.id) {
      // A model without its state (copied in, or written by an older Galen): adopt it as fitted now.
      const all = [...ids];
      await writeLsaState(paths.state, {
        format: 'galen-lsa-state',
        version: 1,
        modelId: embedder.id,
        fittedChunks: all.length,
        fittedMaxChunkId: all.length ? all[all.length - 1]! : 0,
        fittedTexts: embedder instanceof LsaEmbedder ? embedder.documents : all.length,
        fittedAt: new Date().toISOString(),
      });
      logger.warn(`${paths.state} was missing or named another model; adopted ${embedder.id} as fitted on the current store.`);
      return null;
    }
    const drift = corpusDrift(state, ids);
    return drift > refitDrift ? `the store changed by ${Math.round(drift * 100)}% of its chunks since the model was fitted` : null;
  };

  const syncNow = async (syncOptions: VectorSyncOptions, forceRefit: string | null, resetIndex = false): Promise<VectorSyncReport> => {
    if (closed) throw new VectorIndexError('CLOSED', 'Vector retrieval was closed.');
    let fitMs = 0;
    let refitted: string | null = null;
    let target = { model: embedder, index };
    if (builtIn) {
      const chunks = store.countChunks();
      const reason = forceRefit ?? (chunks > 0 ? await refitReason() : null);
      if (reason !== null && chunks > 0) {
        try {
          const fitted = await fit(reason);
          fitMs = fitted.fitMs;
          refitted = reason;
          target = { model: fitted.model, index: fitted.next };
        } catch (error) {
          if (!(error instanceof VectorIndexError && error.code === 'EMPTY_CORPUS')) throw error;
          logger.warn(
            `The built-in embedder cannot be fitted on this store yet (${error.message}); vector search finds nothing until it can.`,
          );
        }
      }
    }
    if (!target.model || !target.index) {
      return {
        added: 0,
        replaced: 0,
        removed: 0,
        unchanged: 0,
        count: 0,
        rebuilt: null,
        embedMs: 0,
        durationMs: fitMs,
        embedderId: null,
        refitted,
        fitMs,
      };
    }
    // A refit on unchanged data gives the same model, whose index would load as it was.
    if (resetIndex && target.index.rebuildReason === null) target.index.reset('a rebuild was requested');
    const { after: _after, onWait: _onWait, ...indexSyncOptions } = syncOptions;
    let report: SyncReport;
    try {
      report = await syncVectorIndex(store, target.index, target.model, indexSyncOptions);
    } catch (error) {
      if (target.index !== index) target.index.close();
      throw error;
    }
    if (target.index !== index) {
      const old = index;
      index = target.index;
      embedder = target.model;
      old?.close();
    }
    const changed = report.added + report.replaced + report.removed;
    if (report.rebuilt === null && changed > 0) {
      const what = `${report.added} added, ${report.replaced} re-embedded, ${report.removed} removed; ${report.count} vectors`;
      if (syncOptions.after) logger.info(`Vector index updated after ${syncOptions.after}: ${what}.`);
      else if (!synced) logger.warn(`Vector index was out of step with the store at open (${what}); repaired.`);
      else logger.info(`Vector index updated: ${what}.`);
    }
    synced = true;
    return { ...report, durationMs: report.durationMs + fitMs, embedderId: target.model.id, refitted, fitMs };
  };

  return {
    searcher: {
      async search(question, k, scoreChunks, skipNearest) {
        const current = index;
        const model = embedder;
        if (closed || !current || current.count === 0 || !model) return noVectorResult();
        const [vector] = await model.embed([question]);
        if (!vector) return noVectorResult();
        const similarities = scoreChunks?.length ? current.similarities(vector, scoreChunks) : new Map<number, number>();
        return { hits: skipNearest?.(similarities) ? [] : current.search(vector, k), similarities };
      },
    },
    get embedder() {
      return embedder;
    },
    warm: () => index?.warm() ?? Promise.resolve(),
    get count() {
      return index?.count ?? 0;
    },
    sync: (syncOptions = {}) => locked(syncOptions, (o) => syncNow(o, null)),
    rebuild: (syncOptions = {}) =>
      locked(syncOptions, async (o) => {
        if (builtIn) await rm(paths.model, { force: true });
        return syncNow(o, builtIn ? 'a rebuild was requested' : null, true);
      }),
    status: async () => readVectorIndexStatus({ dataDir, store }),
    filesChanged: async () => (await diskStamp()) !== knownStamp,
    close() {
      closed = true;
      index?.close();
    },
  };
}

async function loadLsa(file: string, logger: VectorIndexLogger): Promise<LsaEmbedder | null> {
  try {
    return await LsaEmbedder.load(file);
  } catch (error) {
    if (error instanceof EmbeddingError && error.code === 'MODEL_FILE_NOT_FOUND') return null;
    logger.warn(`${file} is unusable (${(error as Error).message}); the next sync refits the embedder.`);
    return null;
  }
}

/**
 * Reads what the vector files of `dataDir` say, without opening, checking or changing anything:
 * the saved built-in model, the index meta file and file sizes, and whether the index count
 * matches the store's chunks. What `galen index status` prints.
 *
 * @example
 * const status = await readVectorIndexStatus({ dataDir: './data', store });
 * status.index?.count // → 53058
 */
export async function readVectorIndexStatus(options: { dataDir: string; store: KnowledgeStore }): Promise<VectorIndexStatus> {
  const { dataDir, store } = options;
  const storeChunks = store.countChunks();
  const size = async (file: string) => {
    try {
      return (await stat(file)).size;
    } catch {
      return null;
    }
  };
  const lsaFiles = lsaPaths(dataDir);
  const modelBytes = await size(lsaFiles.model);
  const state = await readLsaState(lsaFiles.state);
  const lsa =
    modelBytes === null
      ? null
      : { modelId: state?.modelId ?? null, modelBytes, fittedChunks: state?.fittedChunks ?? null, fittedAt: state?.fittedAt ?? null };
  const files = vectorIndexPaths(dataDir);
  const meta = await readMeta(files.meta);
  if (meta === null || meta instanceof Error) {
    return {
      dataDir,
      storeChunks,
      lsa,
      index: null,
      inStep: storeChunks === 0,
      problem: meta === null ? 'no vector index yet' : `unusable meta file: ${meta.message}`,
    };
  }
  const [indexBytes, labelsBytes] = await Promise.all([size(files.index), size(files.labels)]);
  const index = {
    embedderId: meta.embedderId,
    dimension: meta.dimension,
    count: meta.count,
    elements: meta.elements,
    m: meta.m,
    efConstruction: meta.efConstruction,
    efSearch: meta.efSearch,
    indexBytes: indexBytes ?? 0,
    labelsBytes: labelsBytes ?? 0,
    updatedAt: meta.updatedAt,
  };
  const problem =
    indexBytes === null
      ? `${files.index} is missing`
      : indexBytes !== meta.index.bytes
        ? `${files.index} does not match its meta file (${indexBytes} bytes, expected ${meta.index.bytes})`
        : meta.count !== storeChunks
          ? `the index holds ${meta.count} vectors for ${storeChunks} chunks`
          : lsa && lsa.modelId !== null && lsa.modelId !== meta.embedderId
            ? `the index holds vectors of ${meta.embedderId}, the model is ${lsa.modelId}`
            : null;
  return { dataDir, storeChunks, lsa, index, inStep: problem === null, problem };
}
