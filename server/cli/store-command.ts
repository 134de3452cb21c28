import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { STORE_FILE, checkStoreFile, recoverStoreFile, type StoreCheckResult } from '../../knowledge/index.js';
import { verifyVectorIndexFiles, type VectorFilesCheck } from '../../retrieval/vector/index.js';
import { configFrom, output, UsageError, type GlobalOptions } from './cli-context.js';
import { table } from './knowledge-commands.js';

/** `galen store check|recover`: the knowledge store file's health, and a rebuild of a damaged one. */
export function registerStoreCommand(program: Command, globals: () => GlobalOptions): void {
  const store = program.command('store').description('Check the knowledge store file, or rebuild a damaged one');

  store
    .command('check')
    .description('Check the store (SQLite integrity, full-text indexes) and the vector index checksums; exit 1 when something is wrong')
    .action(async () => {
      const g = globals();
      const { dataDir } = configFrom(g);
      const file = resolve(join(dataDir, STORE_FILE));
      const report = checkStoreFile(file);
      const vectors = await verifyVectorIndexFiles(dataDir);
      const ok = report.ok && vectors.state !== 'damaged';
      output(g, { ...report, ok, vectors }, () => checkText(file, report.checks, vectors, ok));
      if (!ok) process.exitCode = 1;
    });

  store
    .command('recover')
    .description(
      'Rebuild a damaged store from what can still be read of it (stop the server first); the damaged file is kept as galen.sqlite.corrupt-<time>',
    )
    .option('--force', 'rebuild even when the store passes its checks', false)
    .action((opts: { force: boolean }) => {
      const g = globals();
      const { dataDir } = configFrom(g);
      const file = resolve(join(dataDir, STORE_FILE));
      const before = checkStoreFile(file);
      if (before.checks[0]?.name === 'open' && before.checks[0].detail[0] === 'the file does not exist') {
        throw new UsageError(`there is no Galen store in ${resolve(dataDir)} (check --data or GALEN_DATA_DIR)`);
      }
      if (before.ok && !opts.force) {
        output(
          g,
          { recovered: false, file, reason: 'the store passes its checks' },
          () => `${file} passes its checks: nothing to recover (--force rebuilds it anyway).`,
        );
        return;
      }
      const report = recoverStoreFile(file);
      output(g, { recovered: true, ...report }, () =>
        [
          `Recovered ${file} from what could be read; the damaged file is kept as ${report.damagedCopy}.`,
          '',
          table(
            ['table', 'recovered', 'left out', 'damaged regions'],
            report.tables.map((t) => [
              t.table,
              t.unreadable ? 'unreadable' : String(t.recovered),
              String(t.dropped),
              String(t.damagedRegions),
            ]),
          ),
          '',
          'Rows on damaged pages are lost; "left out" rows belonged to lost rows (e.g. chunks of a lost document).',
          ...(report.sources.length
            ? [
                `To read lost documents again from where they were ingested${report.markedForRefresh ? ` (${report.markedForRefresh} recovered documents are marked to be read again too)` : ''}:`,
                ...report.sources.map((s) => `  galen refresh ${s.name}   (${s.paths.join(', ') || 'no recorded paths'})`),
              ]
            : []),
          'The vector index is brought in step with the store at the next `galen serve` (or `galen index rebuild`).',
        ].join('\n'),
      );
    });
}

function checkText(file: string, checks: StoreCheckResult[], vectors: VectorFilesCheck, ok: boolean): string {
  const lines = [`Store ${file}:`];
  for (const check of checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.ok ? '' : `: ${check.detail.join('; ')}`}`);
  lines.push(`  ${vectors.state === 'damaged' ? 'FAIL' : 'ok  '} vector index: ${vectors.detail}`);
  if (vectors.state === 'damaged')
    lines.push('  (the next `galen serve` or `galen index rebuild` rebuilds the vector index from the store)');
  if (!checks.every((c) => c.ok)) lines.push('', 'The store is damaged: `galen store recover` rebuilds it from what can still be read.');
  lines.push('', ok ? 'All checks passed.' : 'Some checks failed.');
  return lines.join('\n');
}
