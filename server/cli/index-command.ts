import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { KnowledgeStore } from '../../knowledge/index.js';
import {
  readVectorIndexStatus,
  VectorIndexError,
  type IndexLockHolder,
  type VectorIndexStatus,
  type VectorRetrieval,
  type VectorSyncReport,
} from '../../retrieval/vector/index.js';
import type { RerankingModel } from '../../model/index.js';
import { assembleGalen } from '../assembly/index.js';
import { createLogger } from '../logging/logger.js';
import type { GalenConfig } from '../config/index.js';
import { configFrom, output, UsageError, withStore, type GlobalOptions } from './cli-context.js';

/** The vector settings: the configuration's `vectors` block (see its schema for each key and default). */
export type VectorSettings = GalenConfig['vectors'];

/** Log lines of vector upkeep go to stderr, so stdout stays the command's answer (or its JSON). */
export const stderrLines = {
  info: (message: string) => process.stderr.write(`vectors: ${message}\n`),
  warn: (message: string) => process.stderr.write(`vectors: warning: ${message}\n`),
};

/** Vector retrieval opened by the CLI, with the ONNX models it loaded. */
export interface CliVectors {
  vectors: VectorRetrieval;
  /** The configured cross-encoder, when there is one. */
  reranker?: RerankingModel;
  /** Closes the index and the models. */
  close(): Promise<void>;
}

/**
 * Opens vector retrieval for an open store with the configured embedder (the built-in LSA one
 * unless `GALEN_EMBEDDER` names an ONNX encoder) and reranker, through the same assembly as the server.
 *
 * @example
 * const { vectors, close } = await openCliVectors(config, store);
 */
export async function openCliVectors(
  config: GalenConfig,
  store: KnowledgeStore,
  settings: VectorSettings = config.vectors,
  holder = 'galen',
): Promise<CliVectors> {
  // Opened even when vectors are off in the configuration: the caller asked for them (a rebuild).
  const galen = await assembleGalen(
    { ...config, vectors: { ...settings, enabled: true } },
    { logger: createLogger(config.log.level, 2), lines: stderrLines, store, model: false, wikipedia: false, holder },
  );
  return { vectors: galen.vectors!, ...(galen.reranker ? { reranker: galen.reranker } : {}), close: () => galen.close() };
}

/**
 * Runs a sync (or rebuild) with a progress bar on a terminal.
 *
 * @example
 * const report = await syncWithProgress(vectors, Boolean(g.json));
 */
export async function syncWithProgress(
  vectors: VectorRetrieval,
  json: boolean,
  rebuild = false,
  after?: string,
  signal?: AbortSignal,
): Promise<VectorSyncReport> {
  const bar =
    !json && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: 'vectors {bar} {percentage}% | {value}/{total} chunks embedded',
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  let started = false;
  try {
    const onProgress = ({ embedded, total }: { embedded: number; total: number }) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, embedded);
        started = true;
      } else bar.update(embedded);
    };
    // Another process syncing the same files (a server building its index): wait and say so, then reuse its work.
    const onWait = (holder: IndexLockHolder) => {
      const done = holder.progress ? `: ${holder.progress.embedded} of ${holder.progress.total} chunks embedded` : '';
      process.stderr.write(
        `vectors: waiting for ${holder.holder} (pid ${holder.pid}) to finish syncing the vector index${done} (Ctrl-C stops)\n`,
      );
    };
    const common = { onProgress, onWait, ...(signal ? { signal } : {}) };
    return await (rebuild ? vectors.rebuild(common) : vectors.sync({ ...common, ...(after ? { after } : {}) }));
  } finally {
    if (started) bar?.stop();
  }
}

/**
 * After a change to the store (ingest, refresh, remove): brings the vector index in step when
 * vectors are enabled. A failure here leaves the store changed and the index to be repaired by the
 * next sync (server start, `galen index rebuild`), so it is reported, not thrown.
 *
 * @example
 * const vectors = await syncAfterChange(config, store, false, 'ingest of medquad'); // → { added: 25, count: 25, … } or undefined when off
 */
export async function syncAfterChange(
  config: GalenConfig,
  store: KnowledgeStore,
  json: boolean,
  change: string,
): Promise<VectorSyncSummary | undefined> {
  const settings = config.vectors;
  if (!settings.enabled) return undefined;
  let opened: CliVectors | undefined;
  try {
    opened = await openCliVectors(config, store, settings, `galen, after the ${change}`);
    return summariseSync(await syncWithProgress(opened.vectors, json, false, change));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    stderrLines.warn(`the vector index could not be updated (${message}); the next sync repairs it.`);
    return { error: message };
  } finally {
    await opened?.close();
  }
}

/** What the CLI reports of a sync. */
export type VectorSyncSummary =
  | {
      embedder: string | null;
      added: number;
      replaced: number;
      removed: number;
      count: number;
      rebuilt: string | null;
      refitted: string | null;
      seconds: number;
    }
  | { error: string };

/**
 * The CLI's view of a sync report.
 *
 * @example
 * summariseSync(await vectors.sync()) // → { embedder: 'lsa-v1:…', added: 3, replaced: 0, removed: 1, count: 53060, … }
 */
export function summariseSync(r: VectorSyncReport): VectorSyncSummary {
  return {
    embedder: r.embedderId,
    added: r.added,
    replaced: r.replaced,
    removed: r.removed,
    count: r.count,
    rebuilt: r.rebuilt,
    refitted: r.refitted,
    seconds: Math.round(r.durationMs / 100) / 10,
  };
}

/**
 * One human line for a sync summary.
 *
 * @example
 * describeSync({ error: 'disk full' }) // → 'Vectors: not updated (disk full).'
 */
export function describeSync(s: VectorSyncSummary): string {
  if ('error' in s) return `Vectors: not updated (${s.error}).`;
  if (s.embedder === null) return 'Vectors: nothing to embed.';
  return `Vectors: ${s.added} added, ${s.replaced} re-embedded, ${s.removed} removed, ${s.count} in the index (${s.embedder}${s.refitted ? `, refitted: ${s.refitted}` : ''}) in ${s.seconds} s`;
}

/** `galen index status` and `galen index rebuild`. */
export function registerIndexCommand(program: Command, globals: () => GlobalOptions): void {
  const index = program.command('index').description('The vector index beside the store: its status, or a rebuild');

  index
    .command('status')
    .description('Show the vector index: embedder, dimension, vectors, HNSW parameters, file sizes')
    .action(async () => {
      const g = globals();
      const config = configFrom(g);
      await withStore(
        config,
        async (store) => {
          const status = await readVectorIndexStatus({ dataDir: config.dataDir, store });
          output(g, { enabled: config.vectors.enabled, ...status }, () => describeStatus(status));
        },
        g,
      );
    });

  index
    .command('rebuild')
    .description('Refit the built-in embedder and rebuild the vector index from the store')
    .action(async () => {
      const g = globals();
      const config = configFrom(g);
      await withStore(
        config,
        async (store) => {
          const opened = await openCliVectors(config, store, config.vectors, 'galen index rebuild');
          try {
            const report = summariseSync(await syncWithProgress(opened.vectors, Boolean(g.json), true));
            const status = await opened.vectors.status();
            output(g, { rebuild: report, status }, () => `${describeSync(report)}\n\n${describeStatus(status)}`);
          } catch (error) {
            if (error instanceof VectorIndexError) throw new UsageError(`The vector index could not be rebuilt: ${error.message}`);
            throw error;
          } finally {
            await opened.close();
          }
        },
        g,
      );
    });
}

function describeStatus(s: VectorIndexStatus): string {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const rows: Array<[string, string | number]> = [
    ['data directory', s.dataDir],
    ['store chunks', s.storeChunks],
  ];
  if (s.index) {
    rows.push(
      ['embedder', s.index.embedderId],
      ['dimension', s.index.dimension],
      ['vectors', s.index.count],
      ['graph elements', s.index.elements],
      ['M', s.index.m],
      ['efConstruction', s.index.efConstruction],
      ['efSearch', s.index.efSearch],
      ['index file', mb(s.index.indexBytes)],
      ['labels file', mb(s.index.labelsBytes)],
      ['updated', s.index.updatedAt],
    );
  }
  if (s.lsa)
    rows.push([
      'LSA model',
      `${s.lsa.modelId ?? 'unknown'} (${mb(s.lsa.modelBytes)}, fitted on ${s.lsa.fittedChunks ?? '?'} chunks${s.lsa.fittedAt ? ` at ${s.lsa.fittedAt}` : ''})`,
    ]);
  rows.push(['in step', s.inStep ? 'yes' : `no: ${s.problem}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
