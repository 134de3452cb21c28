import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import {
  FORMAT_NAMES,
  ingest,
  KnowledgeError,
  KnowledgeStore,
  PRIVATE_DIR_MODE,
  type Authority,
  type ChunkingOptions,
  type FormatName,
  type IngestReport,
  type InputLimits,
} from '../../knowledge/index.js';
import { JobQueue, type JobContext, type JobView } from './job-queue.js';
import { spoolUpload, type SpooledUpload } from './upload-spool.js';

/** The folder of knowledge uploads inside the data directory. */
export const UPLOADS_DIR = 'uploads';

/** How knowledge jobs read and write. */
export interface KnowledgeJobsOptions {
  /** The data directory: the store, and `uploads/` for uploaded sources. */
  dataDir: string;
  /** Chunking for ingests (the `ingest` config block). Default the store's. */
  chunking?: ChunkingOptions;
  /** Input limits for ingests (the `ingest` config block). Default the ingester's. */
  limits?: Partial<InputLimits>;
  /** Largest upload, bytes. */
  maxUploadBytes: number;
  /** An upload with no byte for this long fails with 408 `UPLOAD_TIMEOUT`, ms. Default none. */
  uploadIdleTimeoutMs?: number;
  /**
   * Awaited after a job changed the store, to bring derived indexes (vectors) in step before the
   * job reports success; a failure there is reported as the result's `indexWarning`, as the store
   * change itself stands. Default none.
   */
  onStoreChanged?: (source: string, signal: AbortSignal) => Promise<void> | void;
  /** Queue limits. */
  maxQueued?: number;
}

/** What to ingest an upload as. */
export interface UploadIngestOptions {
  source: string;
  format?: FormatName | 'auto';
  license?: string;
  attribution?: string;
  authority?: Authority;
}

/** An ingest job's result: the ingest report, with at most 100 rejections listed. */
export type IngestJobResult = IngestReport & { indexWarning?: string };

/**
 * Knowledge administration as jobs, one at a time (the store has one writer): ingest an upload,
 * refresh a source, remove a source. Each job writes through its own store connection, so the
 * server's readers keep seeing the last committed state until the job commits (WAL).
 *
 * Uploaded files are kept in `<dataDir>/uploads/<source>/<job id>/`, the paths the source is
 * recorded with, so a later refresh re-reads them; a new upload for the source replaces the old
 * files once its ingest has committed, and removing the source deletes them. Folders a killed
 * process left behind (`uploads/.incoming/*`, uploads no source records) are removed at
 * construction, before the first upload is received or job run.
 *
 * @example
 * const jobs = new KnowledgeJobs({ dataDir: './data', maxUploadBytes: 512 << 20 });
 * const upload = await jobs.receiveUpload(req, { rawName: 'notes.jsonl' });
 * const job = jobs.ingestUpload(upload, { source: 'notes' });
 * jobs.queue.get(job.id)?.progress.percent;
 */
export class KnowledgeJobs {
  readonly queue: JobQueue;
  private readonly uploadsDir: string;
  /** The sweep of orphaned upload folders; uploads and jobs wait for it. */
  readonly swept: Promise<void>;

  constructor(private readonly options: KnowledgeJobsOptions) {
    this.queue = new JobQueue(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued });
    this.uploadsDir = resolve(options.dataDir, UPLOADS_DIR);
    this.swept = this.sweepOrphans().catch(() => undefined);
    this.queue.runAfter(this.swept);
  }

  /** Streams a request body to a private folder, size-limited; see {@link spoolUpload}. */
  async receiveUpload(req: IncomingMessage, options: { rawName?: string } = {}): Promise<SpooledUpload> {
    await this.swept;
    return spoolUpload(req, {
      dir: join(this.uploadsDir, '.incoming', randomUUID()),
      maxBytes: this.options.maxUploadBytes,
      ...(options.rawName ? { rawName: options.rawName } : {}),
      ...(this.options.uploadIdleTimeoutMs ? { idleTimeoutMs: this.options.uploadIdleTimeoutMs } : {}),
    });
  }

  /**
   * Removes what a killed process left: half-received uploads, and upload folders that no source
   * records as its paths (an ingest that never committed).
   */
  private async sweepOrphans(): Promise<void> {
    await rm(join(this.uploadsDir, '.incoming'), { recursive: true, force: true });
    const entries = await readdir(this.uploadsDir).catch(() => [] as string[]);
    if (entries.length === 0) return;
    const recorded = new Set(this.withStore((store) => store.listSources().flatMap((s) => s.paths.map((p) => resolve(p)))));
    for (const source of entries) {
      const sourceDir = join(this.uploadsDir, source);
      const uploads = await readdir(sourceDir).catch(() => [] as string[]);
      for (const upload of uploads) {
        const dir = join(sourceDir, upload);
        if (!recorded.has(resolve(dir))) await rm(dir, { recursive: true, force: true });
      }
      await rmdir(sourceDir).catch(() => undefined);
    }
  }

  /** Deletes a received upload that will not be ingested. */
  async discard(upload: SpooledUpload): Promise<void> {
    await rm(upload.dir, { recursive: true, force: true });
  }

  /**
   * Queues the ingest of a received upload into `source` (a refresh when the source exists).
   * Bad options are refused before queueing and the upload is discarded.
   */
  async ingestUpload(upload: SpooledUpload, options: UploadIngestOptions): Promise<JobView> {
    try {
      KnowledgeStore.validateSourceName(options.source);
      const format = options.format ?? 'auto';
      if (format !== 'auto' && !FORMAT_NAMES.includes(format)) {
        throw new KnowledgeError(
          'UNKNOWN_FORMAT',
          `Unknown format ${JSON.stringify(format)}; use one of auto, ${FORMAT_NAMES.join(', ')}.`,
        );
      }
      const sourceDir = join(this.uploadsDir, options.source);
      const dir = join(sourceDir, randomUUID());
      await mkdir(sourceDir, { recursive: true, mode: PRIVATE_DIR_MODE });
      await rename(upload.dir, dir);
      return this.queue.enqueue<IngestJobResult>({
        kind: 'ingest',
        target: options.source,
        run: (ctx) =>
          this.ingestInto(ctx, {
            source: options.source,
            paths: [dir],
            format,
            ...(options.license !== undefined ? { license: options.license } : {}),
            ...(options.attribution !== undefined ? { attribution: options.attribution } : {}),
            ...(options.authority !== undefined ? { authority: options.authority } : {}),
          }),
        settled: async ({ status }) => {
          if (status === 'succeeded') await removeSiblings(sourceDir, dir);
          else {
            await rm(dir, { recursive: true, force: true });
            await rmdir(sourceDir).catch(() => undefined);
          }
        },
      });
    } catch (error) {
      await rm(upload.dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Queues a refresh of `source` from the paths it was last ingested from. */
  refresh(source: string): JobView {
    return this.queue.enqueue<IngestJobResult>({
      kind: 'refresh',
      target: source,
      run: async (ctx) => {
        const s = this.withStore((store) => store.getSource(source));
        return this.ingestInto(ctx, {
          source,
          paths: s.paths,
          format: s.format as FormatName | 'auto',
          license: s.license,
          attribution: s.attribution,
          authority: s.authority,
        });
      },
    });
  }

  /** Queues the removal of `source` with its documents, chunks and uploaded files. */
  remove(source: string): JobView {
    return this.queue.enqueue<{ source: string; documents: number; chunks: number; indexWarning?: string }>({
      kind: 'remove',
      target: source,
      run: async (ctx) => {
        ctx.signal.throwIfAborted();
        const removed = this.withStore((store) => store.removeSource(source));
        await rm(join(this.uploadsDir, source), { recursive: true, force: true });
        return { source, ...removed, ...(await this.storeChanged(source, ctx.signal)) };
      },
    });
  }

  /** Cancels the waiting jobs, stops the running one (it rolls back) and waits for it. */
  async close(): Promise<void> {
    await this.queue.close();
  }

  private async ingestInto(
    ctx: JobContext,
    options: {
      source: string;
      paths: string[];
      format: FormatName | 'auto';
      license?: string;
      attribution?: string;
      authority?: Authority;
    },
  ): Promise<IngestJobResult> {
    const store = KnowledgeStore.open({ dataDir: this.options.dataDir });
    try {
      const report = await ingest(store, {
        ...options,
        ...(this.options.chunking ? { chunking: this.options.chunking } : {}),
        ...(this.options.limits ? { limits: this.options.limits } : {}),
        signal: ctx.signal,
        onProgress: (p) =>
          ctx.progress({
            percent: p.bytesTotal > 0 ? Math.min(99, Math.floor((100 * p.bytesDone) / p.bytesTotal)) : null,
            bytesDone: p.bytesDone,
            bytesTotal: p.bytesTotal,
            filesDone: p.filesDone,
            files: p.files,
            documents: p.documents,
          }),
      });
      return { ...report, rejections: report.rejections.slice(0, 100), ...(await this.storeChanged(options.source, ctx.signal)) };
    } finally {
      store.close();
    }
  }

  private async storeChanged(source: string, signal: AbortSignal): Promise<{ indexWarning?: string }> {
    try {
      await this.options.onStoreChanged?.(source, signal);
      return {};
    } catch (error) {
      return { indexWarning: `The store changed, but updating derived indexes failed: ${(error as Error).message}` };
    }
  }

  private withStore<T>(fn: (store: KnowledgeStore) => T): T {
    const store = KnowledgeStore.open({ dataDir: this.options.dataDir });
    try {
      return fn(store);
    } finally {
      store.close();
    }
  }
}

async function removeSiblings(parent: string, keep: string): Promise<void> {
  for (const entry of await readdir(parent)) {
    const path = join(parent, entry);
    if (path !== keep) await rm(path, { recursive: true, force: true });
  }
}
