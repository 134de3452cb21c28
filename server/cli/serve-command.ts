import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { STORE_FILE } from '../../knowledge/index.js';
import { configFrom, type GlobalOptions } from './cli-context.js';
import { startServer } from '../http/start-server.js';
import { createLogger } from '../logging/logger.js';

/** `galen serve`: the HTTP server on the configured store. */
export function registerServeCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('Start the HTTP server: chat page, /v1/chat, OpenAI-compatible API (seeds an empty store with the bundled MedQuAD corpus)')
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--port <port>', 'TCP port (default 8080)')
    .option('--model <dir>', 'generator model directory (default GALEN_MODEL; none = extractive answers)')
    .action(async (opts: { host?: string; port?: string; model?: string }) => {
      const g = globals();
      const server: Record<string, unknown> = {};
      if (opts.host) server.host = opts.host;
      if (opts.port) server.port = Number.isNaN(Number(opts.port)) ? opts.port : Number(opts.port);
      const config = configFrom({ ...g, overrides: { server, ...(opts.model ? { model: { path: opts.model } } : {}) } });
      const logger = createLogger(config.log.level);
      // A typo in --data would otherwise quietly serve a fresh, seeded store.
      if (!existsSync(join(config.dataDir, STORE_FILE)))
        process.stderr.write(
          `galen: no store in ${resolve(config.dataDir)} yet: creating a new one${config.seed.enabled ? ' (seeded with the bundled MedQuAD corpus)' : ''}\n`,
        );
      const running = await startServer(config, logger);
      let stopping = false;
      const stop = async (signal: string) => {
        // A second signal while draining means "now": in-flight answers are cut.
        if (stopping) {
          logger.warn({ signal }, 'stopping at once');
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal, graceMs: config.server.shutdownGraceMs }, 'shutting down: finishing in-flight requests');
        await running.close();
        logger.info('stopped');
        process.exit(0);
      };
      // logrotate's postrotate: the audit log was moved away; write on in a new file of the same name.
      process.on('SIGHUP', () => {
        try {
          running.reopenLogs();
          logger.info({ signal: 'SIGHUP' }, 'audit log reopened');
        } catch (error) {
          // A signal is no reason to stop serving: the log says why the file could not be opened.
          logger.error({ signal: 'SIGHUP', code: (error as NodeJS.ErrnoException).code }, 'audit log could not be reopened');
        }
      });
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}
