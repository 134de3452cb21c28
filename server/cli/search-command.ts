import { type Command, Option } from 'commander';
import { LexicalSearch } from '../../knowledge/index.js';
import { configFrom, output, UsageError, withStore, type GlobalOptions } from './cli-context.js';

/** `galen search`: BM25 search of the local corpus. */
export function registerSearchCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('search')
    .description('Lexical (BM25) search of the local corpus')
    .argument('<query>', 'any text; no query syntax is interpreted')
    .option('-k, --k <n>', 'number of hits (1–1000)', '10')
    .option('--source <names>', 'comma-separated source names to search (default: all; see galen sources)')
    .addOption(new Option('--sources <names>', 'old spelling of --source').hideHelp())
    .action(async (query: string, opts: { k: string; source?: string; sources?: string }) => {
      const g = globals();
      const k = Number(opts.k);
      if (!Number.isInteger(k) || k < 1 || k > 1000) {
        throw new UsageError(`--k must be a whole number from 1 to 1000, got ${JSON.stringify(opts.k)}`);
      }
      await withStore(
        configFrom(g),
        (store) => {
          const started = performance.now();
          const sources = (opts.source ?? opts.sources)
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          const tty = process.stdout.isTTY && !g.json;
          const result = new LexicalSearch(store).search(query, {
            k,
            ...(sources ? { sources } : {}),
            highlight: g.json ? ['**', '**'] : tty ? ['\u001b[1m', '\u001b[22m'] : ['', ''],
          });
          const tookMs = Math.round((performance.now() - started) * 100) / 100;
          const hits = result.hits.map((h) => ({
            chunkId: h.chunkId,
            externalId: h.externalId,
            source: h.source,
            title: h.title,
            section: h.section || h.question,
            url: h.url,
            score: Math.round(h.score * 1000) / 1000,
            text: h.text,
            snippet: h.snippet,
            license: h.license,
            authority: h.authority,
          }));
          output(g, { query, terms: result.terms, tookMs, hits }, () =>
            hits.length === 0
              ? 'No matches.'
              : hits
                  .map((h, i) =>
                    [
                      `${i + 1}. ${h.title}${h.section ? ` — ${h.section}` : ''}  [${h.externalId} · ${h.source} · ${h.score.toFixed(2)}]`,
                      ...(h.url ? [`   ${h.url}`] : []),
                      `   ${h.snippet.replace(/\s+/g, ' ')}`,
                    ].join('\n'),
                  )
                  .join('\n\n'),
          );
        },
        g,
      );
    });
}
