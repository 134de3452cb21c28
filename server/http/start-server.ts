import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KnowledgeStore, seedStore } from '../../knowledge/index.js';
import type { GalenConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { createApp } from './app.js';
import { join } from 'node:path';
import { KnowledgeJobs } from '../jobs/index.js';
import { AuditLog } from '../logging/audit-log.js';
import { createMetrics } from '../metrics/index.js';
import { ApiKeyStore, createSecurityLayer, type SecurityLayer } from '../security/index.js';

/** A running server. */
export interface RunningServer {
  url: string;
  /** Resolves once the seed corpus (if any) is in and the server is ready. */
  ready: Promise<void>;
  /** Stops accepting connections, lets in-flight requests finish, then closes the store. */
  close(): Promise<void>;
}

/**
 * Opens the store, starts listening at once (so `/healthz` answers), and seeds an empty store
 * with the bundled MedQuAD corpus in the background, logging progress; `/readyz` says 503 until then.
 */
export async function startServer(config: GalenConfig, logger: Logger): Promise<RunningServer> {
  // Refuses a host beyond loopback before anything is opened when no API key exists.
  const keys = ApiKeyStore.open({ dataDir: config.dataDir });
  let security: SecurityLayer;
  try {
    security = createSecurityLayer({ keys, host: config.server.host, ...config.security });
  } catch (error) {
    keys.close();
    throw error;
  }
  const store = KnowledgeStore.open({ dataDir: config.dataDir });
  let ready = false;
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
  });
  metrics.watchKnowledgeJobs(() => jobs.queue.counts());
  const app = createApp({ store, logger, isReady: () => ready, security, metrics, audit, jobs });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.server.port, config.server.host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, store: store.file }, 'listening');

  const seeding = (async () => {
    if (config.seed.enabled) {
      let lastPercent = -10;
      const report = await seedStore(store, {
        chunking: { maxChars: config.ingest.chunkChars, overlapChars: config.ingest.chunkOverlap },
        onProgress: (p) => {
          const percent = Math.floor((100 * p.bytesDone) / Math.max(1, p.bytesTotal));
          if (percent >= lastPercent + 10) {
            lastPercent = percent;
            logger.info({ percent, documents: p.documents }, 'seeding the knowledge base');
          }
        },
      });
      if (report) logger.info({ documents: report.added, chunks: report.chunksAdded, ms: report.durationMs }, 'seed corpus ingested');
    }
    ready = true;
    logger.info({ chunks: store.countChunks() }, 'ready');
  })();
  seeding.catch((error: unknown) => logger.error({ err: error }, 'seeding failed; the server stays unready'));
  jobs.queue.runAfter(seeding);

  return {
    url,
    ready: seeding,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await seeding.catch(() => undefined);
      await jobs.close();
      store.close();
      keys.close();
      audit.close();
    },
  };
}
