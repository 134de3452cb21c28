import { type Command, Option } from 'commander';
import type { EvidenceSource } from '../../retrieval/pipeline/index.js';
import { unknownSources } from '../answer/index.js';
import { assembleGalen } from '../assembly/index.js';
import { createLogger } from '../logging/logger.js';
import { configFrom, requireStore, output, UsageError, type GlobalOptions } from './cli-context.js';
import { stderrLines, syncWithProgress } from './index-command.js';

const SOURCES: readonly EvidenceSource[] = ['corpus', 'vector', 'wikipedia'];

/** `galen retrieve`: the fused evidence for a question. */
export function registerRetrieveCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('retrieve')
    .description('Find evidence for a question: corpus, vectors and live Wikipedia, fused')
    .argument('<question>', 'the question')
    .option('-k, --k <n>', 'number of hits (1–100)', '10')
    .option('--retrievers <list>', `comma-separated retrievers (${SOURCES.join(', ')}; default: all configured)`)
    .addOption(new Option('--sources <list>', 'old spelling of --retrievers').hideHelp())
    .action(async (question: string, opts: { k: string; retrievers?: string; sources?: string }) => {
      const g = globals();
      const k = Number(opts.k);
      if (!Number.isInteger(k) || k < 1 || k > 100)
        throw new UsageError(`--k must be a whole number from 1 to 100, got ${JSON.stringify(opts.k)}`);
      const sources = (opts.retrievers ?? opts.sources)
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = unknownSources(sources, SOURCES);
      if (unknown.length)
        throw new UsageError(
          `Unknown ${opts.retrievers !== undefined ? '--retrievers' : '--sources'} ${unknown.join(', ')}; use ${SOURCES.join(', ')}`,
        );
      const config = configFrom(g);
      requireStore(config, g);
      const galen = await assembleGalen(config, {
        logger: createLogger(config.log.level, 2),
        lines: stderrLines,
        model: false,
        holder: 'galen retrieve',
        ...(sources ? { sources: sources as EvidenceSource[] } : {}),
      });
      try {
        // Cheap when the index is in step; builds or repairs it (logged) when it is not.
        if (galen.vectors && (!sources || sources.includes('vector'))) await syncWithProgress(galen.vectors, Boolean(g.json));
        const pipeline = galen.retrieval();
        const result = await pipeline.retrieve(question, { k, ...(sources ? { sources: sources as EvidenceSource[] } : {}) });
        const hits = result.hits.map((h) => ({
          externalId: h.externalId,
          source: h.source,
          title: h.title,
          section: h.section,
          url: h.url,
          score: Math.round(h.score * 1e5) / 1e5,
          text: h.text,
          license: h.license,
          attribution: h.attribution,
          authority: h.authority,
          retrievers: h.retrievers,
          ...(h.similarity !== undefined ? { similarity: Math.round(h.similarity * 1e5) / 1e5 } : {}),
        }));
        output(
          g,
          {
            query: result.query,
            analysis: result.analysis,
            timings: result.timings,
            ...(result.wikipedia ? { wikipedia: result.wikipedia } : {}),
            hits,
          },
          () =>
            [
              ...hits.map((h, i) =>
                [
                  `${i + 1}. ${h.title}${h.section ? ` — ${h.section}` : ''}  [${h.externalId} · ${h.source} · ${h.retrievers.map((r) => `${r.retriever}#${r.rank}`).join(' ')}]`,
                  ...(h.url ? [`   ${h.url}`] : []),
                  `   ${h.text.replace(/\s+/g, ' ').slice(0, 240)}${h.text.length > 240 ? '…' : ''}`,
                ].join('\n'),
              ),
              `(${result.timings.total} ms${result.wikipedia ? `; Wikipedia: ${result.wikipedia}` : ''})`,
            ].join('\n\n'),
        );
      } finally {
        await galen.close();
      }
    });
}
