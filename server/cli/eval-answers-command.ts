import type { Command } from 'commander';
import type { EvidenceSource } from '../../retrieval/pipeline/index.js';
import { assembleGalen } from '../assembly/index.js';
import { ANSWER_SETS, evaluateAnswers, loadAnswerSet, type AnswerEvalReport } from '../eval/index.js';
import { createLogger } from '../logging/logger.js';
import { configFrom, output, requireStore, UsageError, type GlobalOptions } from './cli-context.js';
import { stderrLines, syncWithProgress } from './index-command.js';

interface EvalAnswersFlags {
  set?: string[];
  split: string;
  limit?: string;
  retrievers?: string;
}

const LOCAL: readonly EvidenceSource[] = ['corpus', 'vector'];

/**
 * `galen eval answers`: answers every question of the answer sets as the server would (without live
 * Wikipedia, whose answers change over time) and reports, per set, the share of answerable
 * questions whose answer cites a relevant passage, cites only others, or abstains, the share of
 * unanswerable ones that abstain, and abstention precision and recall over all of them.
 */
export function registerEvalAnswersCommand(evaluate: Command, globals: () => GlobalOptions): void {
  evaluate
    .command('answers')
    .description('How answers cite and abstain: relevant / only wrong citations, abstention precision and recall')
    .option(
      '--set <file...>',
      'JSONL sets: answerable lines {"id","question","relevant":[externalId…],"split"?}, unanswerable lines {"id","question"} (default: the consumer sets and the unanswerable list)',
    )
    .option('--split <name>', 'questions of this split of sets that have splits (dev, heldout, all)', 'heldout')
    .option('--limit <n>', 'only the first n questions of each set')
    .option('--retrievers <list>', 'comma-separated retrievers (corpus, vector; default: corpus, and vector when vectors are enabled)')
    .action(async (flags: EvalAnswersFlags) => {
      const g = globals();
      if (!['dev', 'heldout', 'all'].includes(flags.split))
        throw new UsageError(`--split must be dev, heldout or all, got ${JSON.stringify(flags.split)}`);
      const limit = flags.limit === undefined ? undefined : Number(flags.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1))
        throw new UsageError(`--limit must be a whole number ≥ 1, got ${JSON.stringify(flags.limit)}`);
      const config = configFrom(g);
      const asked = flags.retrievers
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = asked?.filter((s) => !LOCAL.includes(s as EvidenceSource)) ?? [];
      if (unknown.length) throw new UsageError(`Unknown --retrievers ${unknown.join(', ')}; use ${LOCAL.join(', ')}`);
      const sources = (asked as EvidenceSource[] | undefined) ?? LOCAL.filter((s) => s === 'corpus' || config.vectors.enabled);
      if (sources.includes('vector') && !config.vectors.enabled)
        throw new UsageError('The vector retriever needs vectors: GALEN_VECTORS is off.');
      const sets = await Promise.all((flags.set ?? ANSWER_SETS).map((file) => loadAnswerSet(file)));
      requireStore(config);
      const galen = await assembleGalen(config, {
        logger: createLogger(config.log.level, 2),
        lines: stderrLines,
        sources,
        wikipedia: false,
      });
      try {
        if (galen.vectors && sources.includes('vector')) await syncWithProgress(galen.vectors, Boolean(g.json));
        const report = await evaluateAnswers(galen.answers(), sets, {
          sources,
          ...(flags.split !== 'all' ? { split: flags.split as 'dev' | 'heldout' } : {}),
          ...(limit !== undefined ? { limit } : {}),
          onProgress: (done, total) => {
            if (!g.json && process.stderr.isTTY) process.stderr.write(`\ranswering ${done}/${total}`);
          },
        });
        if (!g.json && process.stderr.isTTY) process.stderr.write('\n');
        output(g, report, () => formatReport(report));
      } finally {
        await galen.close();
      }
    });
}

function formatReport(report: AnswerEvalReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    'set                         split    answerable  cites relevant  only wrong  abstained   unanswerable  abstained   p50 ms',
  ];
  for (const s of report.sets) {
    lines.push(
      [
        s.set.padEnd(27),
        (s.split ?? 'all').padEnd(8),
        String(s.answerable.questions).padStart(10),
        (s.answerable.questions ? pct(s.answerable.citesRelevant) : '–').padStart(15),
        (s.answerable.questions ? pct(s.answerable.citesOnlyWrong) : '–').padStart(11),
        (s.answerable.questions ? pct(s.answerable.abstained) : '–').padStart(10),
        String(s.unanswerable.questions).padStart(14),
        (s.unanswerable.questions ? pct(s.unanswerable.abstained) : '–').padStart(10),
        String(s.latencyMs.p50).padStart(8),
      ].join(' '),
    );
  }
  const a = report.abstention;
  lines.push(
    '',
    `abstention: precision ${pct(a.precision)}, recall ${pct(a.recall)} (unanswerable abstained ${pct(a.unanswerableAbstained)}, answerable abstained ${pct(a.answerableAbstained)})`,
  );
  return lines.join('\n');
}
