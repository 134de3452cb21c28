import { KnowledgeError, KnowledgeStore } from '../../knowledge/index.js';
import { ModelError } from '../../model/index.js';
import { ConfigError, loadConfig, type GalenConfig } from '../config/index.js';

/** A mistake in how a command was called. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'INVALID_ARGUMENT';
}

/** Options every command accepts. */
export interface GlobalOptions {
  data?: string;
  config?: string;
  json?: boolean;
  /** Extra values (from command flags) that win over everything else. */
  overrides?: Record<string, unknown>;
}

/** The configuration with command-line flags applied. */
export function configFrom(options: GlobalOptions): GalenConfig {
  return loadConfig({
    ...(options.config ? { file: options.config } : {}),
    overrides: { ...options.overrides, ...(options.data ? { dataDir: options.data } : {}) },
  });
}

/** Opens the store of the configured data directory, runs `fn`, and always closes the store. */
export async function withStore<T>(config: GalenConfig, fn: (store: KnowledgeStore) => Promise<T> | T): Promise<T> {
  const store = KnowledgeStore.open({ dataDir: config.dataDir });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** Prints `value` as JSON when asked, else the human text. */
export function output(options: GlobalOptions, value: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/**
 * Turns an error into a message and exit status: 2 for usage and configuration mistakes the
 * operator can fix, 1 for everything else. With `--json` the error is printed as
 * `{"error":{"code","message"}}` on stdout.
 */
export function reportError(error: unknown, json: boolean): number {
  const known = error instanceof KnowledgeError || error instanceof ConfigError || error instanceof UsageError || error instanceof ModelError;
  const code = known ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`galen: ${message}\n`);
  if (!known && process.env.GALEN_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return known ? 2 : 1;
}
