import type { Command } from 'commander';
import {
  CONSUMER_SETS,
  DEV_SETS,
  EvalSplit,
  evaluateRetrieval,
  EvaluationError,
  loadEvalSet,
  TextbookBm25,
  type EvaluationReport,
  type RetrievalRun,
} from '../../retrieval/evaluation/index.js';
import { RetrievalPipeline, type EvidenceSource } from '../../retrieval/pipeline/index.js';
import { LearnedRanker } from '../../retrieval/ranking/index.js';
import { registerEvalAnswersCommand } from './eval-answers-command.js';
import { configFrom, output, UsageError, withStore, type GlobalOptions } from './cli-context.js';
import { openCliVectors, syncWithProgress, type CliVectors } from './index-command.js';
import { registerTrainCommands } from './train-commands.js';

/** The runs `galen eval retrieval` can compare. */
const RUNS = ['bm25-textbook', 'bm25', 'vector', 'fused', 'fused-rrf', 'ranked'] as const;
type RunName = (typeof RUNS)[number];
/** Runs that need no vectors (`ranked` uses them when they are on). */
const LEXICAL: readonly RunName[] = ['bm25-textbook', 'bm25', 'ranked'];

interface EvalFlags {
  set?: string[];
  recallAt: string;
  limit?: string;
  runs?: string;
  split?: string;
}

/**
 * `galen eval retrieval`: recall@k, graded top-1, MRR@10, P@5 and nDCG@10 of a textbook BM25
 * (k1 1.2, b 0.75, in memory over the same chunks), Galen's BM25 alone, vectors alone, the fused
 * pipeline (score fusion, as `retrieve` uses it) and rank fusion (RRF 1:1) for reference, on the
 * shipped dev and consumer sets or given JSONL sets; a set with dev/heldout splits is reported per
 * split. Live Wikipedia is left out: its answers change over time.
 */
export function registerEvalCommand(program: Command, globals: () => GlobalOptions): void {
  const evaluate = program.command('eval').description('Evaluate parts of Galen on question sets, and retrain its ranking models');
  registerTrainCommands(evaluate, globals);
  registerEvalAnswersCommand(evaluate, globals);
  evaluate
    .command('retrieval')
    .description('Recall@k, MRR@10 and nDCG@10 of BM25, vectors and the fused pipeline on question sets')
    .option(
      '--set <file...>',
      'JSONL question sets ({"id","question","relevant":[externalId…],"grades"?,"split"?} per line; default: the shipped dev and consumer sets)',
    )
    .option('--split <name>', 'only this split (dev, heldout) of sets that have splits; default: each split reported apart')
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
      const runs = (asked as RunName[] | undefined) ?? RUNS.filter((r) => settings.enabled || LEXICAL.includes(r));
      if (!settings.enabled && runs.some((r) => !LEXICAL.includes(r)))
        throw new UsageError('Vector runs need vectors: GALEN_VECTORS is off.');
      const split = flags.split === undefined ? undefined : EvalSplit.safeParse(flags.split);
      if (split && !split.success) throw new UsageError(`--split must be dev or heldout, got ${JSON.stringify(flags.split)}`);
      let sets;
      try {
        sets = await Promise.all((flags.set ?? [...DEV_SETS, ...CONSUMER_SETS]).map((file) => loadEvalSet(file)));
      } catch (error) {
        if (error instanceof EvaluationError) throw new UsageError(error.message);
        throw error;
      }

      await withStore(config, async (store) => {
        let opened: CliVectors | undefined;
        try {
          // `ranked` is what `galen retrieve` does: with dense evidence whenever vectors are enabled.
          if (runs.some((r) => !LEXICAL.includes(r)) || (settings.enabled && runs.includes('ranked'))) {
            opened = await openCliVectors(config, store, settings);
            await syncWithProgress(opened.vectors, Boolean(g.json));
          }
          const vectors = opened?.vectors;
          const vector = vectors ? { vector: vectors.searcher } : {};
          const fused = new RetrievalPipeline({ store, ...vector }, { vectorWeight: settings.weight });
          const rrf = new RetrievalPipeline({ store, ...vector }, { localFusion: 'rrf' });
          const ranked = runs.includes('ranked')
            ? new RetrievalPipeline({ store, ...vector, ranker: LearnedRanker.load(store) }, { vectorWeight: settings.weight })
            : undefined;
          const k = Math.max(10, ...recallAt);
          const run = (name: RunName, pipeline: RetrievalPipeline, sources: EvidenceSource[]): RetrievalRun => ({
            name,
            retrieve: async (question) => (await pipeline.retrieve(question, { k, sources })).hits.map((h) => h.externalId),
          });
          const textbook = runs.includes('bm25-textbook') ? TextbookBm25.fromStore(store) : undefined;
          const all: Record<RunName, RetrievalRun> = {
            'bm25-textbook': { name: 'bm25-textbook', retrieve: async (question) => textbook!.search(question, k) },
            bm25: run('bm25', fused, ['corpus']),
            vector: run('vector', fused, ['vector']),
            fused: run('fused', fused, ['corpus', 'vector']),
            'fused-rrf': run('fused-rrf', rrf, ['corpus', 'vector']),
            ranked: run('ranked', ranked ?? fused, vectors ? ['corpus', 'vector'] : ['corpus']),
          };
          const reports: EvaluationReport[] = [];
          for (const set of sets) {
            const splits = set.questions.some((q) => q.split)
              ? split?.success
                ? [split.data]
                : (['dev', 'heldout'] as const)
              : [undefined];
            for (const part of splits) {
              if (!g.json) process.stderr.write(`evaluating ${set.name}${part ? ` (${part})` : ''}…\n`);
              reports.push(
                await evaluateRetrieval(
                  set,
                  runs.map((r) => all[r]),
                  { recallAt, ...(limit ? { limit } : {}), ...(part ? { split: part } : {}) },
                ),
              );
            }
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
      precision5: x(run.precision5),
      top1: x(run.top1),
      meanMs: Math.round(run.meanMs * 100) / 100,
      p99Ms: Math.round(run.p99Ms * 100) / 100,
    })),
  };
}

function describeReport(r: EvaluationReport): string {
  const headers = ['run', ...r.recallAt.map((k) => `R@${k}`), 'top-1', 'MRR@10', 'P@5', 'nDCG@10', 'mean ms', 'p99 ms'];
  const rows = r.runs.map((run) => [
    run.name + (run.failures ? ` (${run.failures} failed)` : ''),
    ...r.recallAt.map((k) => (run.recall[k] ?? 0).toFixed(4)),
    run.top1.toFixed(4),
    run.mrr10.toFixed(4),
    run.precision5.toFixed(4),
    run.ndcg10.toFixed(4),
    run.meanMs.toFixed(2),
    run.p99Ms.toFixed(2),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`${r.set}${r.split ? ` (${r.split})` : ''}: ${r.questions} questions`, line(headers), ...rows.map(line)].join('\n');
}
