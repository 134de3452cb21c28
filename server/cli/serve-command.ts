import type { Command } from 'commander';
import { configFrom, type GlobalOptions } from './cli-context.js';
import { startServer } from '../http/start-server.js';
import { createLogger } from '../logging/logger.js';

/** `galen serve`: the HTTP server on the configured store. */
export function registerServeCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('Start the HTTP server (seeds an empty store with the bundled MedQuAD corpus)')
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--port <port>', 'TCP port (default 8080)')
    .action(async (opts: { host?: string; port?: string }) => {
      const g = globals();
      const server: Record<string, unknown> = {};
      if (opts.host) server.host = opts.host;
      if (opts.port) server.port = Number.isNaN(Number(opts.port)) ? opts.port : Number(opts.port);
      const config = configFrom({ ...g, overrides: { server } });
      const logger = createLogger(config.log.level);
      const running = await startServer(config, logger);
      const stop = async (signal: string) => {
        logger.info({ signal }, 'shutting down');
        await running.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
