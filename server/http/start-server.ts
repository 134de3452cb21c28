import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PACKAGE_ROOT, seedStore } from '../../knowledge/index.js';
import type { GalenConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { createApp } from './app.js';
import { answerClientError } from './client-error.js';
import { guardProcess } from './process-guard.js';
import { warnLoosePermissions } from './private-paths.js';
import { CDS_FEEDBACK_FILE, createCdsSurface } from './cds-setup.js';
import { listenError } from './listen-error.js';
import { join } from 'node:path';
import { KnowledgeJobs } from '../jobs/index.js';
import { AuditLog } from '../logging/audit-log.js';
import { FEEDBACK_FILE, FeedbackLog } from '../feedback/index.js';
import { createMetrics } from '../metrics/index.js';
import { ApiKeyStore, createSecurityLayer, type SecurityLayer } from '../security/index.js';
import { readFileSync } from 'node:fs';
import { OnnxLanguageModel, OpenAiCompatibleModel, type LanguageModel } from '../../model/index.js';
import { UpstreamHealthCache } from './upstream-health.js';
import type { VectorSearcher } from '../../retrieval/pipeline/index.js';
import { assembleGalen, type Galen } from '../assembly/index.js';
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
  /** Closes and reopens the audit log file, creating it again when it was moved away (logrotate; `galen serve` does it on SIGHUP). */
  reopenLogs(): void;
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
  let galen: Galen;
  try {
    galen = await assembleGalen(config, {
      logger,
      model: dependencies.model ?? true,
      vectors: dependencies.vector ?? true,
      workers: true,
      answerLogger: logger,
      holder: 'galen serve',
    });
  } catch (error) {
    keys.close();
    throw error;
  }
  const { store, model, vectors, pool, wikipedia } = galen;
  let vectorState: 'building' | 'ready' | 'failed' = 'building';
  let ready = false;
  let shuttingDown = false;
  const metrics = createMetrics();
  const { audit: auditConfig } = config.security;
  const audit = AuditLog.open({
    file: auditConfig.enabled ? (auditConfig.file ?? join(config.dataDir, 'audit.log')) : null,
    includeQuestions: auditConfig.includeQuestions,
    maxBytes: auditConfig.maxBytes,
    keepFiles: auditConfig.keepFiles,
    onWarning: (message) => logger.warn(message),
  });
  const feedback = FeedbackLog.open({ file: join(config.dataDir, FEEDBACK_FILE), includeQuestions: auditConfig.includeQuestions });
  // Files an earlier version (or an operator) made readable by others stay so until chmod: say so.
  warnLoosePermissions(
    {
      dataDir: config.dataDir,
      auditFiles: audit.file === null ? null : [audit.file, ...audit.rotatedFiles],
      files: [feedback.file, config.cds.feedbackFile ?? join(config.dataDir, CDS_FEEDBACK_FILE)],
    },
    (fields, message) => logger.warn(fields, message),
  );
  // What the store's data_version was when this server last took in its changes (see watchStore).
  let seenVersion = store.dataVersion();
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
        if (!pool) void vectors.warm();
      }
      seenVersion = store.dataVersion();
    },
  });
  metrics.watchKnowledgeJobs(() => jobs.queue.counts());
  if (wikipedia) metrics.watchBreaker(() => wikipedia.circuitState);
  if (model instanceof OnnxLanguageModel) metrics.watchGenerator(() => ({ ...model.load, kvCacheBytes: model.kvCacheBytes }));
  const upstreams = model instanceof OpenAiCompatibleModel ? new UpstreamHealthCache(model) : undefined;
  const stopUpstreamMetrics = model instanceof OpenAiCompatibleModel ? metrics.watchUpstreams(model) : undefined;
  void upstreams?.refresh();
  // The query normaliser reads synonyms from the store: the pipelines are built again once the seed is in.
  const pipelines = () => {
    const retrieval = galen.retrieval();
    // Off the caller's turn (the listen, a job's completion): the first question then finds them built.
    setImmediate(() => {
      if (shuttingDown) return;
      try {
        retrieval.warm();
      } catch (error) {
        logger.warn({ err: error }, 'warming the question analysis and ranking failed: the first question builds them');
      }
    });
    return { retrieval, answers: galen.answers(retrieval) };
  };
  const ctx: AppContext = {
    store,
    logger,
    unreadiness: () => (shuttingDown ? { reason: 'shutting down' } : ready ? null : { reason: 'ingesting the seed corpus' }),
    version: packageVersion(),
    ...(vectors ? { vectorIndex: () => ({ state: vectorState, vectors: vectors.count, embedder: vectors.embedder?.id ?? null }) } : {}),
    retrievalWorkers: () => pool?.size ?? 0,
    ...(upstreams ? { upstreams } : {}),
    ...pipelines(),
    security,
    metrics,
    audit,
    jobs,
    feedback,
    fhir: config.fhir,
  };
  ctx.cds = createCdsSurface(config, () => ctx.retrieval, metrics, logger);
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
    await galen.close().catch(() => undefined);
    keys.close();
    audit.close();
    feedback.close();
    throw listenError(error as NodeJS.ErrnoException, config.server.host, config.server.port);
  }
  server.maxConnections = config.server.maxConnections;
  server.on('clientError', answerClientError);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info(
    {
      url,
      store: store.file,
      mode: ctx.answers.mode,
      model: ctx.answers.model.generator ?? null,
      ...(model instanceof OpenAiCompatibleModel ? { upstreams: model.upstreamStatus.map((u) => u.url) } : {}),
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
      // Without worker threads this thread re-scores the candidates itself.
      if (!pool) void vectors.warm();
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

  // Another process (a CLI `galen ingest`, `remove`, `index rebuild`) may change the store or the
  // vector files of this data directory: checked every STORE_POLL_MS (one pragma and a small file
  // read), and taken in as the server's own knowledge jobs are, so searches, /readyz counts and the
  // vector index follow without a restart.
  let watching = false;
  const watchStore = async () => {
    if (watching || shuttingDown || !ready || vectorState === 'building') return;
    const jobsNow = jobs.queue.counts();
    // A knowledge job of this server brings its own changes in step when it ends.
    if (jobsNow.running || jobsNow.queued) return;
    watching = true;
    try {
      const version = store.dataVersion();
      const storeChanged = version !== seenVersion;
      const filesChanged = vectors ? await vectors.filesChanged() : false;
      if (!storeChanged && !filesChanged) return;
      seenVersion = version;
      if (storeChanged) {
        Object.assign(ctx, pipelines());
        logger.info({ chunks: store.countChunks() }, 'the store was changed by another process; searching it as it is now');
      }
      if (vectors) {
        let told = false;
        await vectors.sync({
          after: 'a change by another process',
          signal: stopSeeding.signal,
          onWait: (holder) => {
            if (!told) logger.info({ pid: holder.pid, holder: holder.holder }, 'waiting for another process to finish the vector index');
            told = true;
          },
        });
        await pool?.reloadVectors();
        logger.info({ vectors: vectors.count, embedder: vectors.embedder?.id ?? null }, 'vector index in step with the store');
      }
    } catch (error) {
      if (!stopSeeding.signal.aborted)
        logger.error({ err: error }, 'taking in a change made by another process failed; the next change, or a restart, tries again');
    } finally {
      watching = false;
    }
  };
  const storeWatch = setInterval(() => void watchStore(), STORE_POLL_MS);
  storeWatch.unref();

  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      clearInterval(storeWatch);
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
      await jobs.close();
      stopUpstreamMetrics?.();
      await galen.close();
      keys.close();
      audit.close();
      feedback.close();
    })();
    return closing;
  };
  const releaseGuard = guardProcess({ logger, close });
  return { url, ready: seeding, indexed: vectorSync, reopenLogs: () => audit.reopen(), close };
}

/** How often a server checks its data directory for changes made by another process. */
const STORE_POLL_MS = 2000;

/** Galen's version from its package.json, or `0.0.0` when it has none. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
