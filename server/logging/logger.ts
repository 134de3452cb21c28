import { pino, type Logger } from 'pino';

/**
 * The server's structured logger (JSON lines on stdout). Request bodies are never logged: questions
 * can carry patient details.
 */
export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino(
    { level, base: { service: 'galen' }, redact: { paths: ['req.headers.authorization', 'req.body'], remove: true } },
    pino.destination(destination),
  );
}

export type { Logger };
