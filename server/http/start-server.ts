import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KnowledgeStore, PACKAGE_ROOT, seedStore } from '../../knowledge/index.js';
import type { GalenConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { createApp } from './app.js';
import { guardProcess } from './process-guard.js';
import { listenError } from './listen-error.js';
import { join } from 'node:path';
import { KnowledgeJobs } from '../jobs/index.js';
import { AuditLog } from '../logging/audit-log.js';
import { createMetrics } from '../metrics/index.js';
import { ApiKeyStore, createSecurityLayer, type SecurityLayer } from '../security/index.js';
import { readFileSync } from 'node:fs';
import {
  loadEmbeddingModel,
  loadRerankingModel,
  OnnxLanguageModel,
  type ExecutionProviderName,
  type LanguageModel,
  type OnnxEmbeddingModel,
  type OnnxRerankingModel,
} from '../../model/index.js';
import { openVectorRetrieval, type VectorRetrieval } from '../../retrieval/vector/index.js';
import { RetrievalPipeline, type VectorSearcher } from '../../retrieval/pipeline/index.js';
import { WikipediaRetriever } from '../../retrieval/wikipedia/index.js';
import { LocalRetrievalPool } from '../../retrieval/workers/index.js';
import { AnswerPipeline, loadConfiguredModel } from '../answer/index.js';
import type { AppContext } from './app-context.js';

/** Parts a caller can hand the server instead of the ones it would build from the configuration. */
export interface ServerDependencies {
  /** Dense retrieval over the store's chunks. Default none: corpus (BM25) and Wikipedia only. */
  vector?: VectorSearcher;
  /** A loaded generator (the caller keeps ownership). Default: loaded from `model.path`, else extractive answers. */
  model?: LanguageModel;
}

/** A running server. */
export interface RunningServer {
  url: string;
  /** Resolves once the seed corpus (if any) is in and the server is ready. */
  ready: Promise<void>;
  /** Resolves once the vector index is in step with the store (built in the background after `ready`; at once when vectors are off). */
  indexed: Promise<void>;
  /** Stops accepting connections, lets in-flight requests finish, then closes the store (once; later calls wait for the first). */
  close(): Promise<void>;
}

/**
 * Opens the store, loads the generator when one is configured (a bad model stops start-up), starts
 * listening (so `/healthz` answers), and seeds an empty store with the bundled MedQuAD corpus in the
 * background, logging progress; `/readyz` and the answer routes say 503 until then. `close()` stops
 * accepting connections, lets in-flight requests (streams too) finish for up to
 * `server.shutdownGraceMs`, cuts the rest (aborting their generation), then closes the model,
 * Wikipedia cache and store.
 *
 * @example
 * const server = await startServer(loadConfig(), createLogger('info'));
 * await server.ready;
 * process.once('SIGTERM', () => void server.close());
 */
export async function startServer(config: GalenConfig, logger: Logger, dependencies: ServerDependencies = {}): Promise<RunningServer> {
  // Refuses a host beyond loopback before anything is opened when no API key exists.
  const keys = ApiKeyStore.open({ dataDir: config.dataDir });
  let security: SecurityLayer;
  try {
    security = createSecurityLayer({ keys, host: config.server.host, ...config.security });
  } catch (error) {
    keys.close();
    throw error;
  }
  let ownModel: LanguageModel | undefined;
  try {
    ownModel = dependencies.model ? undefined : await loadConfiguredModel(config, logger);
  } catch (error) {
    keys.close();
    throw error;
  }
  const model = dependencies.model ?? ownModel;
  const sessionOptions = {
    executionProvider: config.model.executionProvider,
    deviceId: config.model.cudaDeviceId,
    allowCpuFallback: config.model.allowCpuFallback,
    onWarning: (message: string) => logger.warn(message),
  };
  let embedder: OnnxEmbeddingModel | undefined;
  let reranker: OnnxRerankingModel | undefined;
  try {
    if (config.vectors.enabled && config.vectors.embedder && !dependencies.vector)
      embedder = await loadEmbeddingModel(config.vectors.embedder, sessionOptions);
    if (config.vectors.reranker) reranker = await loadRerankingModel(config.vectors.reranker, sessionOptions);
  } catch (error) {
    await embedder?.close();
    await ownModel?.close();
    keys.close();
    throw error;
  }
  const store = KnowledgeStore.open({ dataDir: config.dataDir });
  let vectors: VectorRetrieval | undefined;
  if (config.vectors.enabled && !dependencies.vector) {
    vectors = await openVectorRetrieval({
      dataDir: config.dataDir,
      store,
      logger: { info: (message) => logger.info(message), warn: (message) => logger.warn(message) },
      efSearch: config.vectors.efSearch,
      lsa: { dimension: config.vectors.lsaDimension },
      ...(embedder ? { embedder } : {}),
    });
  }
  const vectorSearcher = dependencies.vector ?? vectors?.searcher;
  const pool = dependencies.vector ? undefined : await startRetrievalWorkers(config, logger, sessionOptions);
  let vectorState: 'building' | 'ready' | 'failed' = 'building';
  const wikipedia = config.wikipedia.enabled
    ? new WikipediaRetriever({
        apiUrl: config.wikipedia.apiUrl,
        budgetMs: config.wikipedia.budgetMs,
        cachePath: join(config.dataDir, 'wikipedia-cache.sqlite'),
        logger,
      })
    : undefined;
  let ready = false;
  let shuttingDown = false;
  const metrics = createMetrics();
  const { audit: auditConfig } = config.security;
  const audit = AuditLog.open({
    file: auditConfig.enabled ? (auditConfig.file ?? join(config.dataDir, 'audit.log')) : null,
    includeQuestions: auditConfig.includeQuestions,
  });
  const jobs = new KnowledgeJobs({
    dataDir: config.dataDir,
    chunking: { maxChars: config.ingest.chunkChars, overlapChars: config.ingest.chunkOverlap },
    limits: { maxFileBytes: config.ingest.maxFileMb * 2 ** 20, maxRecordBytes: config.ingest.maxRecordMb * 2 ** 20 },
    maxUploadBytes: config.security.maxUploadMb * 2 ** 20,
    uploadIdleTimeoutMs: config.security.uploadIdleTimeoutSeconds * 1000,
    onStoreChanged: async (source: string, signal: AbortSignal) => {
      // The query normaliser's synonyms are mined from the store: a new source brings its own.
      Object.assign(ctx, pipelines());
      if (vectors) {
        await vectors.sync({ after: `a knowledge job on ${source}`, signal });
        await pool?.reloadVectors();
      }
    },
  });
  metrics.watchKnowledgeJobs(() => jobs.queue.counts());
  if (wikipedia) metrics.watchBreaker(() => wikipedia.circuitState);
  if (model instanceof OnnxLanguageModel) metrics.watchGenerator(() => ({ ...model.load, kvCacheBytes: model.kvCacheBytes }));
  // The query normaliser reads synonyms from the store: the pipelines are built again once the seed is in.
  const pipelines = () => {
    const retrieval = new RetrievalPipeline(
      {
        store,
        ...(pool ? { local: pool } : vectorSearcher ? { vector: vectorSearcher } : {}),
        ...(wikipedia ? { wikipedia } : {}),
        ...(reranker ? { reranker } : {}),
      },
      { vectorWeight: config.vectors.weight },
    );
    const answers = new AnswerPipeline(
      { retrieval, ...(model ? { model } : {}), logger },
      {
        passages: config.answer.passages,
        maxNewTokens: config.answer.maxNewTokens,
        ...(config.answer.temperature !== undefined ? { temperature: config.answer.temperature } : {}),
      },
    );
    return { retrieval, answers };
  };
  const ctx: AppContext = {
    store,
    logger,
    unreadiness: () => (shuttingDown ? { reason: 'shutting down' } : ready ? null : { reason: 'ingesting the seed corpus' }),
    version: packageVersion(),
    ...(vectors ? { vectorIndex: () => ({ state: vectorState, vectors: vectors.count }) } : {}),
    retrievalWorkers: () => pool?.size ?? 0,
    ...pipelines(),
    security,
    metrics,
    audit,
    jobs,
  };
  const app = createApp(ctx);
  // Express 5's app.listen calls back on errors too, which left a server that never listened
  // (a taken port crashed on address() and hung): listen here and fail with the operator's message.
  const server: Server = createHttpServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await jobs.close().catch(() => undefined);
    await pool?.close().catch(() => undefined);
    vectors?.close();
    await embedder?.close();
    await reranker?.close();
    await ownModel?.close();
    wikipedia?.close();
    store.close();
    keys.close();
    audit.close();
    throw listenError(error as NodeJS.ErrnoException, config.server.host, config.server.port);
  }
  server.maxConnections = config.server.maxConnections;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info(
    {
      url,
      store: store.file,
      mode: ctx.answers.mode,
      model: ctx.answers.model.generator ?? null,
      retrievers: ctx.retrieval.sources,
      wikipedia: wikipedia ? config.wikipedia.apiUrl : 'off',
      seed: config.seed.enabled,
      anonymousRole: security.anonymousRole ?? 'none',
    },
    `Galen listening on ${url}: ${ctx.answers.mode} answers from ${ctx.retrieval.sources.join(', ')}`,
  );

  const stopSeeding = new AbortController();
  let closing: Promise<void> | undefined;
  const seeding = (async () => {
    if (config.seed.enabled) {
      let lastPercent = -10;
      const report = await seedStore(store, {
        signal: stopSeeding.signal,
        chunking: { maxChars: config.ingest.chunkChars, overlapChars: config.ingest.chunkOverlap },
        onProgress: (p) => {
          const percent = Math.floor((100 * p.bytesDone) / Math.max(1, p.bytesTotal));
          if (percent >= lastPercent + 10) {
            lastPercent = percent;
            logger.info({ percent, documents: p.documents }, 'seeding the knowledge base');
          }
        },
      });
      if (report) {
        logger.info({ documents: report.added, chunks: report.chunksAdded, ms: report.durationMs }, 'seed corpus ingested');
        Object.assign(ctx, pipelines());
      }
    }
    ready = true;
    logger.info({ chunks: store.countChunks() }, 'ready');
  })();
  seeding.catch((error: unknown) => logger.error({ err: error }, 'seeding failed; the server stays unready'));
  jobs.queue.runAfter(seeding);

  // A first start fits the embedder and builds the index (a minute or more for a large corpus), a
  // later one checks it against the store and repairs it with a log line: in the background, since
  // BM25 and Wikipedia answer meanwhile and dense evidence only refines their ranking.
  const vectorSync = (async () => {
    await seeding;
    if (vectors) {
      let lastPercent = -10;
      const report = await vectors.sync({
        signal: stopSeeding.signal,
        onProgress: ({ embedded, total }) => {
          const percent = Math.floor((100 * embedded) / Math.max(1, total));
          if (percent >= lastPercent + 10) {
            lastPercent = percent;
            logger.info({ percent, embedded, total }, 'building the vector index');
          }
        },
      });
      await pool?.reloadVectors();
      vectorState = 'ready';
      logger.info(
        { vectors: vectors.count, embedder: report.embedderId, added: report.added, removed: report.removed, refitted: report.refitted },
        'vector index ready',
      );
    }
  })();
  vectorSync.catch((error: unknown) => {
    vectorState = 'failed';
    if (!stopSeeding.signal.aborted) logger.error({ err: error }, 'the vector index could not be built; answers use BM25 and Wikipedia');
  });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      releaseGuard();
      stopSeeding.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A connection that finishes its last response stays open as keep-alive until its timeout:
      // close those as they become idle. In-flight requests get the grace period; then their
      // connections are cut, which aborts their generation.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const grace = setTimeout(() => server.closeAllConnections(), config.server.shutdownGraceMs);
      await closed;
      clearInterval(idle);
      clearTimeout(grace);
      await seeding.catch(() => undefined);
      await vectorSync.catch(() => undefined);
      await ownModel?.close();
      wikipedia?.close();
      await jobs.close();
      await pool?.close();
      vectors?.close();
      await embedder?.close();
      await reranker?.close();
      store.close();
      keys.close();
      audit.close();
    })();
    return closing;
  };
  const releaseGuard = guardProcess({ logger, close });
  return { url, ready: seeding, indexed: vectorSync, close };
}

/**
 * Starts the worker threads that run BM25 and vector searches (`server.retrievalWorkers`), or
 * nothing when that is 0. A pool that cannot start is logged and the searches run on this thread:
 * slower under load, never unavailable.
 */
async function startRetrievalWorkers(
  config: GalenConfig,
  logger: Logger,
  session: { executionProvider: ExecutionProviderName; deviceId: number; allowCpuFallback: boolean },
): Promise<LocalRetrievalPool | undefined> {
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
              executionProvider: session.executionProvider,
              deviceId: session.deviceId,
              allowCpuFallback: session.allowCpuFallback,
            },
          }
        : null,
      fusion: { vectorWeight: config.vectors.weight },
      logger: { debug: (message) => logger.debug(message), error: (message) => logger.error(message) },
    });
    logger.info({ workers }, `searches run on ${workers} retrieval worker thread${workers === 1 ? '' : 's'}`);
    return pool;
  } catch (error) {
    logger.error({ err: error }, 'the retrieval workers could not start; searches run on the HTTP thread');
    return undefined;
  }
}

/** Galen's version from its package.json, or `0.0.0` when it has none. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
