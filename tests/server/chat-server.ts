import { Writable } from 'node:stream';
import pino from 'pino';
import { join } from 'node:path';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer, type ServerDependencies } from '../../server/http/start-server.js';
import { createLogger, type Logger } from '../../server/logging/logger.js';
import { ROOT, tempDir } from '../helpers/paths.js';

/** A handful of documents (gout, its diet with a prompt-injection sentence, blood pressure, heart attack, Chinese gout). */
export const MINI_CORPUS = join(ROOT, 'tests', 'server', 'fixtures', 'mini-corpus.jsonl');

export interface ChatServer {
  server: RunningServer;
  dataDir: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  cleanup(): Promise<void>;
}

/** A further JSONL corpus (in {@link MINI_CORPUS}'s shape) for a test's server. */
export interface ExtraCorpus {
  source: string;
  path: string;
  license: string;
  attribution: string;
}

/**
 * A real server on a free loopback port over a store holding {@link MINI_CORPUS} and any `extraCorpora` (seeding off),
 * with `overrides` applied to the configuration.
 */
export async function startChatServer(
  overrides: Record<string, unknown> = {},
  options: { logger?: Logger; dependencies?: ServerDependencies; extraCorpora?: ExtraCorpus[] } = {},
): Promise<ChatServer> {
  const tmp = tempDir('galen-chat-');
  const dataDir = join(tmp.dir, 'data');
  const store = KnowledgeStore.open({ dataDir });
  try {
    await ingest(store, { source: 'mini', paths: [MINI_CORPUS], format: 'jsonl', license: 'CC BY 4.0', attribution: 'Galen test corpus' });
    for (const extra of options.extraCorpora ?? [])
      await ingest(store, {
        source: extra.source,
        paths: [extra.path],
        format: 'jsonl',
        license: extra.license,
        attribution: extra.attribution,
      });
  } finally {
    store.close();
  }
  const config = loadConfig({
    env: {},
    overrides: { dataDir, server: { port: 0 }, seed: { enabled: false }, wikipedia: { enabled: false }, ...overrides },
  });
  const server = await startServer(config, options.logger ?? createLogger('silent'), options.dependencies);
  await server.ready;
  await server.indexed;
  return {
    server,
    dataDir,
    post: (path, body, headers = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    cleanup: async () => {
      await server.close();
      tmp.cleanup();
    },
  };
}

/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Reads a whole SSE response into its events. */
export async function readSse(res: Response): Promise<SseEvent[]> {
  return parseSse(await res.text());
}

/** Parses SSE text into events (comments skipped). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const frame of text.split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** The `[n]` marker numbers in a text. */
export function markers(text: string): number[] {
  return [...text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
}

/** A pino logger whose messages (`msg` of each line) the test can read. */
export function capturingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) messages.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), messages };
}
