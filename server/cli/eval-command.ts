import type { Command } from 'commander';
import {
  DEV_SETS,
  evaluateRetrieval,
  EvaluationError,
  loadEvalSet,
  type EvaluationReport,
  type RetrievalRun,
} from '../../retrieval/evaluation/index.js';
import { RetrievalPipeline, type EvidenceSource } from '../../retrieval/pipeline/index.js';
import { configFrom, output, UsageError, withStore, type GlobalOptions } from './cli-context.js';
import { openCliVectors, syncWithProgress, type CliVectors } from './index-command.js';

/** The runs `galen eval retrieval` can compare. */
const RUNS = ['bm25', 'vector', 'fused', 'fused-rrf'] as const;
type RunName = (typeof RUNS)[number];

interface EvalFlags {
  set?: string[];
  recallAt: string;
  limit?: string;
  runs?: string;
}

/**
 * `galen eval retrieval`: recall@k, MRR@10 and nDCG@10 of BM25 alone, vectors alone, the fused
 * pipeline (score fusion, as `retrieve` uses it) and rank fusion (RRF 1:1) for reference, on the
 * shipped dev sets or given JSONL sets. Live Wikipedia is left out: its answers change over time.
 */
export function registerEvalCommand(program: Command, globals: () => GlobalOptions): void {
  const evaluate = program.command('eval').description('Evaluate parts of Galen on question sets');
  evaluate
    .command('retrieval')
    .description('Recall@k, MRR@10 and nDCG@10 of BM25, vectors and the fused pipeline on question sets')
    .option('--set <file...>', 'JSONL question sets ({"id","question","relevant":[externalId…]} per line; default: the shipped dev sets)')
    .option('--recall-at <list>', 'comma-separated recall cut-offs (1–100)', '1,5,10,50')
    .option('--limit <n>', 'only the first n questions of each set')
    .option('--runs <list>', `comma-separated runs (${RUNS.join(', ')}; default: all, vector ones when vectors are enabled)`)
    .action(async (flags: EvalFlags) => {
      const g = globals();
      const recallAt = flags.recallAt.split(',').map((x) => Number(x.trim()));
      if (!recallAt.every((k) => Number.isInteger(k) && k >= 1 && k <= 100)) {
        throw new UsageError(`--recall-at must list whole numbers from 1 to 100, got ${JSON.stringify(flags.recallAt)}`);
      }
      const limit = flags.limit === undefined ? undefined : Number(flags.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1))
        throw new UsageError(`--limit must be a whole number ≥ 1, got ${JSON.stringify(flags.limit)}`);
      const config = configFrom(g);
      const settings = config.vectors;
      const asked = flags.runs
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = asked?.filter((r) => !RUNS.includes(r as RunName)) ?? [];
      if (unknown.length) throw new UsageError(`Unknown --runs ${unknown.join(', ')}; use ${RUNS.join(', ')}`);
      const runs = (asked as RunName[] | undefined) ?? RUNS.filter((r) => settings.enabled || r === 'bm25');
      if (!settings.enabled && runs.some((r) => r !== 'bm25')) throw new UsageError('Vector runs need vectors: GALEN_VECTORS is off.');
      let sets;
      try {
        sets = await Promise.all((flags.set ?? DEV_SETS).map((file) => loadEvalSet(file)));
      } catch (error) {
        if (error instanceof EvaluationError) throw new UsageError(error.message);
        throw error;
      }

      await withStore(config, async (store) => {
        let opened: CliVectors | undefined;
        try {
          if (runs.some((r) => r !== 'bm25')) {
            opened = await openCliVectors(config, store, settings);
            await syncWithProgress(opened.vectors, Boolean(g.json));
          }
          const vectors = opened?.vectors;
          const vector = vectors ? { vector: vectors.searcher } : {};
          const fused = new RetrievalPipeline({ store, ...vector }, { vectorWeight: settings.weight });
          const rrf = new RetrievalPipeline({ store, ...vector }, { localFusion: 'rrf' });
          const k = Math.max(10, ...recallAt);
          const run = (name: RunName, pipeline: RetrievalPipeline, sources: EvidenceSource[]): RetrievalRun => ({
            name,
            retrieve: async (question) => (await pipeline.retrieve(question, { k, sources })).hits.map((h) => h.externalId),
          });
          const all: Record<RunName, RetrievalRun> = {
            bm25: run('bm25', fused, ['corpus']),
            vector: run('vector', fused, ['vector']),
            fused: run('fused', fused, ['corpus', 'vector']),
            'fused-rrf': run('fused-rrf', rrf, ['corpus', 'vector']),
          };
          const reports: EvaluationReport[] = [];
          for (const set of sets) {
            if (!g.json)
              process.stderr.write(
                `evaluating ${set.name} (${limit ? Math.min(limit, set.questions.length) : set.questions.length} questions)…\n`,
              );
            reports.push(
              await evaluateRetrieval(
                set,
                runs.map((r) => all[r]),
                { recallAt, ...(limit ? { limit } : {}) },
              ),
            );
          }
          output(
            g,
            {
              sets: reports.map(roundReport),
              ...(vectors?.embedder ? { embedder: vectors.embedder.id, vectorWeight: settings.weight } : {}),
            },
            () => reports.map(describeReport).join('\n\n'),
          );
        } finally {
          await opened?.close();
        }
      });
    });
}

function roundReport(r: EvaluationReport): EvaluationReport {
  const x = (n: number) => Math.round(n * 1e4) / 1e4;
  return {
    ...r,
    runs: r.runs.map((run) => ({
      ...run,
      recall: Object.fromEntries(Object.entries(run.recall).map(([k, v]) => [k, x(v)])),
      mrr10: x(run.mrr10),
      ndcg10: x(run.ndcg10),
      meanMs: Math.round(run.meanMs * 100) / 100,
      p99Ms: Math.round(run.p99Ms * 100) / 100,
    })),
  };
}

function describeReport(r: EvaluationReport): string {
  const headers = ['run', ...r.recallAt.map((k) => `R@${k}`), 'MRR@10', 'nDCG@10', 'mean ms', 'p99 ms'];
  const rows = r.runs.map((run) => [
    run.name + (run.failures ? ` (${run.failures} failed)` : ''),
    ...r.recallAt.map((k) => (run.recall[k] ?? 0).toFixed(4)),
    run.mrr10.toFixed(4),
    run.ndcg10.toFixed(4),
    run.meanMs.toFixed(2),
    run.p99Ms.toFixed(2),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`${r.set}: ${r.questions} questions`, line(headers), ...rows.map(line)].join('\n');
}
