import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { seedStore } from '../../knowledge/index.js';
import type { LanguageModel } from '../../model/index.js';
import { RetrievalPipeline, type EvidenceSource } from '../../retrieval/pipeline/index.js';
import { WikipediaRetriever } from '../../retrieval/wikipedia/index.js';
import { AnswerError, AnswerPipeline, loadConfiguredModel, unknownSources, type Answer } from '../answer/index.js';
import { createLogger } from '../logging/logger.js';
import { configFrom, dataDirGiven, UsageError, withStore, type GlobalOptions } from './cli-context.js';
import { openCliVectors, syncWithProgress, type CliVectors } from './index-command.js';

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

      await withStore(
        config,
        async (store) => {
          if (config.seed.enabled && store.listSources().length === 0) {
            process.stderr.write('galen: the store is empty; ingesting the bundled MedQuAD corpus first (once)…\n');
            await seedStore(store, { chunking: { maxChars: config.ingest.chunkChars, overlapChars: config.ingest.chunkOverlap } });
          }
          const wikipedia =
            config.wikipedia.enabled && (!sources || sources.includes('wikipedia'))
              ? new WikipediaRetriever({
                  apiUrl: config.wikipedia.apiUrl,
                  budgetMs: config.wikipedia.budgetMs,
                  cachePath: join(config.dataDir, 'wikipedia-cache.sqlite'),
                })
              : undefined;
          let model: LanguageModel | undefined;
          let opened: CliVectors | undefined;
          const controller = new AbortController();
          const onSignal = () => controller.abort();
          process.once('SIGINT', onSignal);
          try {
            // The server's model, vectors and reranker, so the terminal answers as the server would.
            model = await loadConfiguredModel(config, createLogger(config.log.level, 2));
            const useVectors = config.vectors.enabled && (!sources || sources.includes('vector'));
            if (config.vectors.enabled) opened = await openCliVectors(config, store);
            if (opened && useVectors) await syncWithProgress(opened.vectors, Boolean(g.json));
            const retrieval = new RetrievalPipeline(
              {
                store,
                ...(wikipedia ? { wikipedia } : {}),
                ...(opened && useVectors ? { vector: opened.vectors.searcher } : {}),
                ...(opened?.reranker ? { reranker: opened.reranker } : {}),
              },
              { vectorWeight: config.vectors.weight },
            );
            const pipeline = new AnswerPipeline(
              { retrieval, ...(model ? { model } : {}) },
              {
                passages: config.answer.passages,
                maxNewTokens: config.answer.maxNewTokens,
                ...(config.answer.temperature !== undefined ? { temperature: config.answer.temperature } : {}),
              },
            );
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
          } finally {
            process.off('SIGINT', onSignal);
            await model?.close();
            await opened?.close();
            wikipedia?.close();
          }
        },
        { create: Boolean(g.create) || !dataDirGiven(g) },
      );
    });
}

function whole(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}
