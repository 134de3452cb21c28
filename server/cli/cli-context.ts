import { GalenError } from '../../errors/index.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KnowledgeError, KnowledgeStore, STORE_FILE } from '../../knowledge/index.js';
import { EmbeddingError, ModelBuildError, ModelError } from '../../model/index.js';
import { EvaluationError } from '../../retrieval/evaluation/index.js';
import { VectorIndexError } from '../../retrieval/vector/index.js';
import { WikipediaError } from '../../retrieval/wikipedia/index.js';
import { AnswerError } from '../answer/index.js';
import { ConfigError, loadConfig, type GalenConfig } from '../config/index.js';
import { ListenError } from '../http/listen-error.js';
import { JobError } from '../jobs/index.js';
import { SecurityError } from '../security/index.js';

/** A mistake in how a command was called. */
export class UsageError extends GalenError<'INVALID_ARGUMENT'> {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** Options every command accepts. */
export interface GlobalOptions {
  data?: string;
  config?: string;
  json?: boolean;
  /** Make a new store where `--data` names none (commands that only read refuse otherwise). */
  create?: boolean;
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

/**
 * Opens the store of the configured data directory, runs `fn`, and always closes the store. A data
 * directory without a store is refused (a typo in `--data` would otherwise seed an empty store and
 * answer from nothing) unless `create` is set (`--create`, or a command that adds content, which
 * says on stderr that it is making one).
 */
export async function withStore<T>(
  config: GalenConfig,
  fn: (store: KnowledgeStore) => Promise<T> | T,
  access: { create?: boolean; announce?: boolean } = {},
): Promise<T> {
  requireStore(config, access);
  const store = KnowledgeStore.open({ dataDir: config.dataDir });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/**
 * Refuses a data directory without a store unless `create` (see {@link withStore}); says on stderr
 * when one is about to be made.
 */
export function requireStore(config: GalenConfig, access: { create?: boolean; announce?: boolean } = {}): void {
  if (existsSync(join(config.dataDir, STORE_FILE))) return;
  const dir = resolve(config.dataDir);
  if (!access.create)
    throw new UsageError(
      `there is no Galen store in ${dir} (check --data or GALEN_DATA_DIR); pass --create to make a new, empty one there`,
    );
  if (access.announce !== false) process.stderr.write(`galen: creating a new store in ${dir}\n`);
}

/** Whether the data directory was named (`--data`, GALEN_DATA_DIR) rather than the default `./data`. */
export function dataDirGiven(options: GlobalOptions): boolean {
  return Boolean(options.data || process.env.GALEN_DATA_DIR);
}

/** Prints `value` as JSON when asked, else the human text. */
export function output(options: GlobalOptions, value: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** Galen's typed errors: each carries a `code` and a message written for the operator. */
const KNOWN_ERRORS: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  UsageError,
  ConfigError,
  KnowledgeError,
  ModelError,
  ModelBuildError,
  EmbeddingError,
  VectorIndexError,
  WikipediaError,
  EvaluationError,
  AnswerError,
  JobError,
  SecurityError,
  ListenError,
];

/**
 * Turns an error into a message and exit status: 2 for usage and configuration mistakes the
 * operator can fix, 1 for everything else. With `--json` the error is printed as
 * `{"error":{"code","message"}}` on stdout.
 */
export function reportError(error: unknown, json: boolean): number {
  const known = KNOWN_ERRORS.some((type) => error instanceof type);
  const code = known ? (error as { code: string }).code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`galen: ${message}\n`);
  if (!known && process.env.GALEN_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return known ? 2 : 1;
}
