import type { Command } from 'commander';
import { Option } from 'commander';
import {
  AUTHORITY_LEVELS,
  exportSource,
  FORMAT_NAMES,
  ingest,
  type KnowledgeStore,
  type IngestOptions,
  type IngestReport,
  type Rejection,
} from '../../knowledge/index.js';
import { configFrom, output, UsageError, withStore, type GlobalOptions } from './cli-context.js';
import { ProgressBar } from './progress-bar.js';
import { describeSync, syncAfterChange } from './index-command.js';
import type { GalenConfig } from '../config/index.js';

const MIB = 1024 * 1024;

/**
 * `galen ingest`, `refresh`, `sources`, `remove`, `export`. Ingest, refresh and remove bring the
 * vector index in step afterwards when vectors are enabled (`GALEN_VECTORS`, default on).
 */
export function registerKnowledgeCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('ingest')
    .description('Add or refresh a source from files and folders (one transaction)')
    .argument('<path...>', 'files or folders to read')
    .requiredOption('-s, --source <name>', 'source name; re-ingesting a source refreshes it')
    .addOption(new Option('-f, --format <format>', 'input format').choices(['auto', ...FORMAT_NAMES]).default('auto'))
    .option('--license <text>', "licence of the content (default: the format's own)")
    .option('--attribution <text>', 'attribution shown with citations')
    .addOption(
      new Option(
        '--authority <level>',
        "how authoritative the source is (default: the source's current level, else by format: MedQuAD reference, PubMedQA literature, dialogues dialogue, others encyclopedia)",
      ).choices(AUTHORITY_LEVELS),
    )
    .action(
      async (
        paths: string[],
        opts: { source: string; format: string; license?: string; attribution?: string; authority?: (typeof AUTHORITY_LEVELS)[number] },
      ) => {
        const g = globals();
        const config = configFrom(g);
        await withStore(
          config,
          async (store) => {
            const existed = store.listSources().some((source) => source.name === opts.source);
            const report = await runIngest(store, config, g, {
              source: opts.source,
              paths,
              format: opts.format as (typeof FORMAT_NAMES)[number] | 'auto',
              ...(opts.license !== undefined ? { license: opts.license } : {}),
              ...(opts.attribution !== undefined ? { attribution: opts.attribution } : {}),
              ...(opts.authority !== undefined ? { authority: opts.authority } : {}),
            });
            // Nothing read (every file rejected or skipped): no empty source is left behind, and the exit says so.
            if (report.added + report.updated + report.unchanged === 0) {
              if (!existed && store.listSources().some((source) => source.name === opts.source)) store.removeSource(opts.source);
              throw new UsageError(
                `nothing was ingested into ${opts.source}: ${report.rejected} rejected, ${report.skippedFiles} files skipped${
                  report.rejections[0] ? ` (first: ${report.rejections[0].path}: ${report.rejections[0].message})` : ''
                }`,
              );
            }
            const vectors = await syncAfterChange(config, store, Boolean(g.json), `ingest of ${report.source}`);
            output(g, { ...report, ...(vectors ? { vectors } : {}) }, () =>
              [summarise(report), ...(vectors ? [describeSync(vectors)] : [])].join('\n'),
            );
          },
          { create: true },
        );
      },
    );

  program
    .command('refresh')
    .description('Re-read a source from the paths it was last ingested from')
    .argument('<source>', 'source name')
    .action(async (name: string) => {
      const g = globals();
      const config = configFrom(g);
      await withStore(
        config,
        async (store) => {
          const source = store.getSource(name);
          const report = await runIngest(store, config, g, {
            source: name,
            paths: source.paths,
            format: source.format as (typeof FORMAT_NAMES)[number] | 'auto',
            license: source.license,
            attribution: source.attribution,
            authority: source.authority,
          });
          const vectors = await syncAfterChange(config, store, Boolean(g.json), `refresh of ${report.source}`);
          output(g, { ...report, ...(vectors ? { vectors } : {}) }, () =>
            [summarise(report), ...(vectors ? [describeSync(vectors)] : [])].join('\n'),
          );
        },
        g,
      );
    });

  program
    .command('sources')
    .description('List sources with their counts, licence and last refresh')
    .action(async () => {
      const g = globals();
      await withStore(
        configFrom(g),
        (store) => {
          const sources = store.listSources();
          output(g, { sources }, () =>
            sources.length === 0
              ? 'No sources yet: `galen ingest <path> --source <name>` adds one.'
              : table(
                  ['source', 'authority', 'documents', 'sections', 'chunks', 'licence', 'refreshed'],
                  sources.map((s) => [s.name, s.authority, s.documents, s.sections, s.chunks, s.license || '-', s.refreshedAt ?? '-']),
                ),
          );
        },
        g,
      );
    });

  program
    .command('remove')
    .description('Delete a source with all its documents and chunks')
    .requiredOption('-s, --source <name>', 'source to delete')
    .action(async (opts: { source: string }) => {
      const g = globals();
      const config = configFrom(g);
      await withStore(
        config,
        async (store) => {
          const removed = store.removeSource(opts.source);
          const vectors = await syncAfterChange(config, store, Boolean(g.json), `removal of ${opts.source}`);
          output(g, { source: opts.source, removed, ...(vectors ? { vectors } : {}) }, () =>
            [
              `Removed source ${opts.source}: ${removed.documents} documents, ${removed.chunks} chunks.`,
              ...(vectors ? [describeSync(vectors)] : []),
            ].join('\n'),
          );
        },
        g,
      );
    });

  program
    .command('export')
    .description('Write a source as JSONL (gzip when --out ends in .gz), e.g. the seed corpus')
    .requiredOption('-s, --source <name>', 'source to export')
    .requiredOption('-o, --out <file>', 'output file')
    .option('--answered-only', 'leave out question-only records', false)
    .action(async (opts: { source: string; out: string; answeredOnly: boolean }) => {
      const g = globals();
      await withStore(
        configFrom(g),
        async (store) => {
          const report = await exportSource(store, { source: opts.source, out: opts.out, answeredOnly: opts.answeredOnly });
          output(g, report, () => `Exported ${report.documents} documents (${report.sections} sections) to ${report.file}.`);
        },
        g,
      );
    });
}

async function runIngest(
  store: KnowledgeStore,
  config: GalenConfig,
  g: GlobalOptions,
  options: Omit<IngestOptions, 'chunking' | 'limits' | 'signal' | 'onProgress' | 'onReject'>,
): Promise<IngestReport> {
  const bar = new ProgressBar(!g.json, `ingest ${options.source}`);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('Interrupted: the store is unchanged.'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await ingest(store, {
      ...options,
      chunking: { maxChars: config.ingest.chunkChars, overlapChars: config.ingest.chunkOverlap },
      limits: { maxFileBytes: config.ingest.maxFileMb * MIB, maxRecordBytes: config.ingest.maxRecordMb * MIB },
      signal: controller.signal,
      onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, { documents: p.documents, file: p.file }),
      onReject: (r: Rejection) => {
        if (g.json) return;
        bar.stop();
        process.stderr.write(`rejected ${r.path}${r.line ? `:${r.line}` : ''}: ${r.message}\n`);
      },
    });
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function summarise(r: IngestReport): string {
  const lines = [
    `Source ${r.source} (${r.authority}): ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.removed} removed, ${r.rejected} rejected`,
    `  ${r.files} files (${
      Object.entries(r.formats)
        .map(([f, n]) => `${n} ${f}`)
        .join(', ') || 'none'
    }${r.skippedFiles ? `, ${r.skippedFiles} skipped` : ''}), ` +
      `${r.documentsSeen} documents read, chunks +${r.chunksAdded} −${r.chunksRemoved}` +
      `${r.questionOnly ? `, ${r.questionOnly} question-only records` : ''}${r.kept ? `, ${r.kept} kept from unreadable files` : ''} in ${(r.durationMs / 1000).toFixed(1)} s`,
  ];
  return lines.join('\n');
}

/** A plain aligned text table. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (typeof rows[0]?.[i] === 'number' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
