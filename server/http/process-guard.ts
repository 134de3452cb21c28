import type { Logger } from '../logging/logger.js';

/** A running server as the guard sees it: how to log and how to drain it. */
interface Guarded {
  logger: Logger;
  close(): Promise<void>;
}

const guarded = new Set<Guarded>();
let exiting = false;

/**
 * A fault as it may be logged: its type, code and stack frames, never its message (which may
 * quote a question or a patient's words).
 *
 * @example
 * describeFault(new TypeError('no gout for Jane')); // { type: 'TypeError', frames: ['at …'] }
 */
export function describeFault(fault: unknown): { type: string; code?: string; frames: string[] } {
  if (!(fault instanceof Error)) return { type: typeof fault, frames: [] };
  const code = (fault as { code?: unknown }).code;
  const frames = (fault.stack ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '))
    .slice(0, 12);
  return { type: fault.name, ...(typeof code === 'string' ? { code } : {}), frames };
}

const onRejection = (reason: unknown): void => {
  // A promise nobody awaited failed: the request it belonged to has its answer or its timeout;
  // the process state is intact, so keep serving.
  for (const g of guarded) g.logger.error({ fault: describeFault(reason) }, 'unhandled promise rejection; still serving');
};

const onException = (error: unknown): void => {
  // Code threw past every handler: state may be inconsistent. Drain (in-flight requests finish,
  // jobs roll back, files close) and exit non-zero for the supervisor to restart.
  for (const g of guarded) g.logger.fatal({ fault: describeFault(error) }, 'uncaught exception; draining and exiting');
  if (exiting) return;
  exiting = true;
  const servers = [...guarded];
  void Promise.allSettled(servers.map((g) => g.close())).then(() => process.exit(1));
};

/**
 * Installs the process-level guard for a server until the returned function is called: an
 * unhandled rejection is logged (without its message) and the server keeps serving; an uncaught
 * exception is logged, the servers drain through their `close()` and the process exits with 1.
 *
 * @example
 * const release = guardProcess({ logger, close: () => server.close() });
 * // … on close: release();
 */
export function guardProcess(server: Guarded): () => void {
  if (guarded.size === 0) {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
  }
  guarded.add(server);
  return () => {
    guarded.delete(server);
    if (guarded.size === 0) {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    }
  };
}
