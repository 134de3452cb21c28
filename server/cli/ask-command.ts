import { type Command, Option } from 'commander';
import { seedStore } from '../../knowledge/index.js';
import type { EvidenceSource } from '../../retrieval/pipeline/index.js';
import { AnswerError, unknownSources, type Answer } from '../answer/index.js';
import { assembleGalen } from '../assembly/index.js';
import { createLogger } from '../logging/logger.js';
import { configFrom, dataDirGiven, requireStore, UsageError, type GlobalOptions } from './cli-context.js';
import { stderrLines, syncWithProgress } from './index-command.js';

const SOURCES: readonly EvidenceSource[] = ['corpus', 'vector', 'wikipedia'];

interface AskFlags {
  k?: string;
  retrievers?: string;
  /** Old spelling of `retrievers`. */
  sources?: string;
  maxTokens?: string;
}

/**
 * `galen ask "<question>" [--json]`: one answer from the terminal, through the same pipeline as the
 * server (triage, retrieval, generative or extractive answer, citations, disclaimer). The text is
 * streamed, followed by the sources; `--json` prints the whole answer object. An empty store is
 * seeded with the bundled corpus first (when seeding is on).
 *
 * @example
 * registerAskCommand(program, () => program.opts<GlobalOptions>());
 * // galen ask "What causes gout?" --json
 */
export function registerAskCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('ask')
    .description('Answer one question with citations (extractive, or generative when a model is configured)')
    .argument('<question>', 'the question')
    .option('-k, --k <n>', 'passages to give the answerer (1–20; default answer.passages, 5)')
    .option('--retrievers <list>', `comma-separated retrievers (${SOURCES.join(', ')}; default: all configured)`)
    .addOption(new Option('--sources <list>', 'old spelling of --retrievers').hideHelp())
    .option('--max-tokens <n>', 'most tokens to generate (generative mode; default answer.maxNewTokens, 256)')
    .action(async (question: string, flags: AskFlags) => {
      const g = globals();
      const k = flags.k === undefined ? undefined : whole('--k', flags.k, 1, 20);
      const maxTokens = flags.maxTokens === undefined ? undefined : whole('--max-tokens', flags.maxTokens, 1, 8192);
      const sources = (flags.retrievers ?? flags.sources)
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = unknownSources(sources, SOURCES);
      if (unknown.length)
        throw new UsageError(
          `Unknown ${flags.retrievers !== undefined ? '--retrievers' : '--sources'} ${unknown.join(', ')}; use ${SOURCES.join(', ')}`,
        );
      if (!question.trim()) throw new UsageError('The question is empty.');
      const config = configFrom(g);
      requireStore(config, { create: Boolean(g.create) || !dataDirGiven(g) });

      // The server's model, vectors and reranker, so the terminal answers as the server would.
      const galen = await assembleGalen(config, {
        logger: createLogger(config.log.level, 2),
        lines: stderrLines,
        holder: 'galen ask',
        ...(sources ? { sources: sources as EvidenceSource[] } : {}),
      });
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      try {
        const { store } = galen;
        if (config.seed.enabled && store.listSources().length === 0) {
          process.stderr.write('galen: the store is empty; ingesting the bundled MedQuAD corpus first (once)…\n');
          await seedStore(store, { chunking: { maxChars: config.ingest.chunkChars, overlapChars: config.ingest.chunkOverlap } });
        }
        try {
          if (galen.vectors && (!sources || sources.includes('vector')))
            await syncWithProgress(galen.vectors, Boolean(g.json), false, undefined, controller.signal);
          const pipeline = galen.answers();
          let answer: Answer | undefined;
          const events = pipeline.stream({
            messages: [{ role: 'user', content: question }],
            signal: controller.signal,
            ...(k !== undefined ? { k } : {}),
            ...(maxTokens !== undefined ? { maxTokens } : {}),
            ...(sources ? { sources: sources as EvidenceSource[] } : {}),
          });
          for await (const event of events) {
            if (event.type === 'delta' && !g.json) process.stdout.write(event.text);
            if (event.type === 'done') answer = event.answer;
          }
          if (!answer) return;
          if (g.json) {
            process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
            return;
          }
          process.stdout.write('\n');
          if (answer.citations.length) {
            process.stdout.write(
              `\nSources:\n${answer.citations.map((c) => `[${c.n}] ${c.title}${c.section ? ` — ${c.section}` : ''}${c.url ? ` <${c.url}>` : ''} · ${c.source} · ${c.license} · ${c.externalId}`).join('\n')}\n`,
            );
          }
          process.stderr.write(
            `(${answer.mode} answer, ${answer.timings.totalMs} ms${answer.triage.level !== 'none' ? `, triage: ${answer.triage.level}` : ''})\n`,
          );
        } catch (error) {
          if (error instanceof AnswerError && (error.code === 'INVALID_REQUEST' || error.code === 'UNKNOWN_SOURCE'))
            throw new UsageError(error.message);
          throw error;
        }
      } finally {
        process.off('SIGINT', onSignal);
        await galen.close();
      }
    });
}

function whole(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}
