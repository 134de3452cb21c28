import { join } from 'node:path';
import { KnowledgeStore } from '../../knowledge/index.js';
import {
  loadEmbeddingModel,
  loadRerankingModel,
  type LanguageModel,
  type OnnxEmbeddingModel,
  type OnnxRerankingModel,
  type RerankingModel,
  type SessionOptions,
} from '../../model/index.js';
import { RetrievalPipeline, type EvidenceSource, type VectorSearcher } from '../../retrieval/pipeline/index.js';
import { LearnedRanker } from '../../retrieval/ranking/index.js';
import { openVectorRetrieval, type VectorRetrieval } from '../../retrieval/vector/index.js';
import { WikipediaRetriever } from '../../retrieval/wikipedia/index.js';
import { LocalRetrievalPool } from '../../retrieval/workers/index.js';
import { AnswerPipeline, loadConfiguredModel, type AnswerLogger } from '../answer/index.js';
import type { GalenConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { contextWindowWarning } from './context-window-warning.js';

/** The file name of the Wikipedia response cache inside the data directory. */
export const WIKIPEDIA_CACHE_FILE = 'wikipedia-cache.sqlite';

/** A sink for the one-line messages of vector upkeep and model loading. */
export interface LineLog {
  info(message: string): void;
  warn(message: string): void;
}

/** What {@link assembleGalen} builds besides the store; every field optional. */
export interface AssemblyOptions {
  /** Log of the model load (and of worker threads). Required for the model. */
  logger: Logger;
  /** Vector upkeep and model warnings. Default: `logger`'s info and warn. */
  lines?: LineLog;
  /**
   * The generator: `true` loads the configured one (none configured: extractive answers), `false`
   * none, or a loaded model the caller keeps owning. Default `true`.
   */
  model?: boolean | LanguageModel;
  /**
   * Dense retrieval: `true` opens the configured vector index (when `vectors.enabled`), `false`
   * none, or a searcher the caller owns (then no index, embedder or workers are opened). Default `true`.
   */
  vectors?: boolean | VectorSearcher;
  /** The configured reranker. Default `true`. */
  reranker?: boolean;
  /** Live Wikipedia (when `wikipedia.enabled`). Default `true`. */
  wikipedia?: boolean;
  /** Retrieval worker threads (`server.retrievalWorkers`). Default `false` (searches on this thread). */
  workers?: boolean;
  /** The retrievers answers and searches may use (others are not opened or not used). Default all. */
  sources?: readonly EvidenceSource[];
  /** One line per answer (never its text). Default none. */
  answerLogger?: AnswerLogger;
  /** An open store the caller keeps owning (a command that already opened it). Default: the configured data directory's, opened here. */
  store?: KnowledgeStore;
  /** What this process is (e.g. `galen serve`), told to another process that waits while this one syncs the vector files. Default `galen`. */
  holder?: string;
}

/** Galen's parts, built from one configuration. */
export interface Galen {
  readonly config: GalenConfig;
  readonly store: KnowledgeStore;
  /** The generator (`undefined`: extractive answers). */
  readonly model?: LanguageModel;
  /** The vector index Galen keeps in step with the store (absent when dense retrieval is off or the caller gave a searcher). */
  readonly vectors?: VectorRetrieval;
  readonly wikipedia?: WikipediaRetriever;
  readonly reranker?: RerankingModel;
  readonly pool?: LocalRetrievalPool;
  /**
   * A retrieval pipeline over the parts. Build a new one after the store changed: the query
   * normaliser reads its synonyms from the store.
   */
  retrieval(): RetrievalPipeline;
  /** An answer pipeline over `retrieval` (default a new {@link retrieval}) and the model, with the `answer.*` settings. */
  answers(retrieval?: RetrievalPipeline): AnswerPipeline;
  /** Closes what was opened, in reverse order (a model the caller gave stays open). Once; later calls wait for the first. */
  close(): Promise<void>;
}

/**
 * The one place that builds Galen's parts from the configuration — generator, embedder, reranker,
 * store, vector index, retrieval workers, Wikipedia — and the retrieval and answer pipelines over
 * them. `galen serve`, `ask`, `retrieve` and the index commands all assemble through here, so
 * each answers as the others do. A part that fails to open closes the ones before it.
 *
 * @example
 * const galen = await assembleGalen(config, { logger });
 * try { const answer = await galen.answers().answer({ messages }); } finally { await galen.close(); }
 */
export async function assembleGalen(config: GalenConfig, options: AssemblyOptions): Promise<Galen> {
  const { logger } = options;
  const lines: LineLog = options.lines ?? { info: (m) => logger.info(m), warn: (m) => logger.warn(m) };
  const allowed = (source: EvidenceSource) => !options.sources || options.sources.includes(source);
  const closers: Array<() => unknown> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const given = typeof options.model === 'object' ? options.model : undefined;
    let model = given;
    if (options.model ?? true) {
      if (!given) {
        model = await loadConfiguredModel(config, logger);
        const own = model;
        if (own) closers.push(() => own.close());
      }
      const tooSmall = model ? contextWindowWarning(model.contextWindow, config.answer.maxNewTokens) : null;
      if (tooSmall) logger.warn({ model: model?.modelId, contextWindow: model?.contextWindow }, tooSmall);
    }
    const session: SessionOptions = {
      executionProvider: config.model.executionProvider,
      deviceId: config.model.cudaDeviceId,
      allowCpuFallback: config.model.allowCpuFallback,
      onWarning: (message) => lines.warn(message),
    };
    const givenVectors = typeof options.vectors === 'object' ? options.vectors : undefined;
    const openVectors = config.vectors.enabled && (options.vectors ?? true) === true;
    let embedder: OnnxEmbeddingModel | undefined;
    if (openVectors && config.vectors.embedder) {
      embedder = await loadEmbeddingModel(config.vectors.embedder, session);
      const e = embedder;
      closers.push(() => e.close());
    }
    let reranker: OnnxRerankingModel | undefined;
    if ((options.reranker ?? true) && config.vectors.reranker) {
      reranker = await loadRerankingModel(config.vectors.reranker, session);
      const r = reranker;
      closers.push(() => r.close());
    }
    const store = options.store ?? KnowledgeStore.open({ dataDir: config.dataDir });
    if (!options.store) closers.push(() => store.close());
    let vectors: VectorRetrieval | undefined;
    if (openVectors) {
      vectors = await openVectorRetrieval({
        dataDir: config.dataDir,
        store,
        logger: lines,
        efSearch: config.vectors.efSearch,
        lsa: { dimension: config.vectors.lsaDimension },
        ...(options.holder ? { holder: options.holder } : {}),
        ...(embedder ? { embedder } : {}),
      });
      const v = vectors;
      closers.push(() => v.close());
    }
    const pool = options.workers && !givenVectors ? await startRetrievalWorkers(config, logger) : undefined;
    if (pool) closers.push(() => pool.close());
    const wikipedia =
      config.wikipedia.enabled && (options.wikipedia ?? true) && allowed('wikipedia')
        ? new WikipediaRetriever({
            apiUrl: config.wikipedia.apiUrl,
            budgetMs: config.wikipedia.budgetMs,
            cachePath: join(config.dataDir, WIKIPEDIA_CACHE_FILE),
            logger,
          })
        : undefined;
    if (wikipedia) closers.push(() => wikipedia.close());
    const searcher = allowed('vector') ? (givenVectors ?? vectors?.searcher) : undefined;
    // Loaded with the first pipeline: commands that only use the vectors never read the model files.
    let rankerCache: LearnedRanker | undefined;
    const rankerOf = () =>
      config.ranking.enabled
        ? (rankerCache ??= LearnedRanker.load(store, config.ranking.model ? { ranker: config.ranking.model } : {}))
        : undefined;

    const retrieval = () => {
      // A pool's workers rank with their own copy of the model.
      const ranker = pool ? undefined : rankerOf();
      return new RetrievalPipeline(
        {
          store,
          ...(pool ? { local: pool } : searcher ? { vector: searcher } : {}),
          ...(wikipedia ? { wikipedia } : {}),
          ...(reranker ? { reranker } : {}),
          ...(ranker ? { ranker } : {}),
        },
        { vectorWeight: config.vectors.weight },
      );
    };
    let closing: Promise<void> | undefined;
    return {
      config,
      store,
      ...(model ? { model } : {}),
      ...(vectors ? { vectors } : {}),
      ...(wikipedia ? { wikipedia } : {}),
      ...(reranker ? { reranker } : {}),
      ...(pool ? { pool } : {}),
      retrieval,
      answers: (over = retrieval()) =>
        new AnswerPipeline(
          {
            retrieval: over,
            sections: store,
            ...(model ? { model } : {}),
            ...(options.answerLogger ? { logger: options.answerLogger } : {}),
          },
          {
            passages: config.answer.passages,
            maxNewTokens: config.answer.maxNewTokens,
            focusThreshold: config.answer.focusThreshold,
            ...(config.answer.temperature !== undefined ? { temperature: config.answer.temperature } : {}),
            fallback: config.upstream.fallback,
          },
        ),
      close: () => {
        closing ??= close();
        return closing;
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Starts the worker threads that run BM25 and vector searches (`server.retrievalWorkers`), or
 * nothing when that is 0. A pool that cannot start is logged and the searches run on this thread:
 * slower under load, never unavailable.
 */
async function startRetrievalWorkers(config: GalenConfig, logger: Logger): Promise<LocalRetrievalPool | undefined> {
  const workers = config.server.retrievalWorkers;
  if (workers === 0) return undefined;
  try {
    const pool = await LocalRetrievalPool.start({
      dataDir: config.dataDir,
      workers,
      vectors: config.vectors.enabled
        ? {
            efSearch: config.vectors.efSearch,
            lsaDimension: config.vectors.lsaDimension,
            ...(config.vectors.embedder ? { embedder: config.vectors.embedder } : {}),
            session: {
              executionProvider: config.model.executionProvider,
              deviceId: config.model.cudaDeviceId,
              allowCpuFallback: config.model.allowCpuFallback,
            },
          }
        : null,
      fusion: { vectorWeight: config.vectors.weight },
      ranker: config.ranking.enabled ? (config.ranking.model ? { model: config.ranking.model } : {}) : null,
      logger: { debug: (message) => logger.debug(message), error: (message) => logger.error(message) },
    });
    logger.info({ workers }, `searches run on ${workers} retrieval worker thread${workers === 1 ? '' : 's'}`);
    return pool;
  } catch (error) {
    logger.error({ err: error }, 'the retrieval workers could not start; searches run on the HTTP thread');
    return undefined;
  }
}
