/**
 * Galen's overhead in front of a serving engine: the tests' OpenAI-compatible engine (stories260k
 * on Galen's runtime, on a worker thread of its own) answers streamed `/v1/chat/completions`
 * requests directly and through a real Galen (`model.backend: openai-compatible`, the bundled seed
 * corpus, BM25 only, no Wikipedia), at 1, 16 and 64 concurrent streams. The direct requests replay
 * the very bodies Galen sent the engine (same prompt, greedy, same length), so the difference is
 * what Galen adds: retrieval, context packing (token counts from the engine's `/tokenize` by
 * default), the prompt, the proxying of the stream and its citation checks. Targets: ≤ 10 ms added
 * to time to first token at p50, ≤ 5% less throughput at 64 streams.
 *
 * Overrides (`--set`): rounds=<answers per stream at each level, at least 16 answers a level>
 * (default 1), maxTokens=<per answer> (default 16), tokenCount=engine|tokenizer (default engine: the engine's
 * /tokenize as with vLLM; tokenizer: Galen counts with the model's tokenizer folder),
 * corpus=seed|mini (default seed, ingested once into a store kept under the OS temp folder and
 * copied for each run; mini: the tests' five documents, a smoke run).
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ingest, KnowledgeStore, SEED_FILE, seedStore } from '../knowledge/index.js';
import { startWorker } from '../retrieval/start-worker.js';
import { loadConfig } from '../server/config/index.js';
import { startServer } from '../server/http/start-server.js';
import { createLogger } from '../server/logging/logger.js';
import { type BenchModule, intOption, latencyStats, makeLogger, ROOT, round, sig, tempDir } from './common.js';

/** Concurrent streams, and the answers measured at each (a few rounds of the level). */
const LEVELS = [1, 16, 64] as const;
const TARGET_TTFT_P50_MS = 10;
const TARGET_THROUGHPUT_LOSS = 0.05;
const QUESTIONS = [
  'What is gout?',
  'What are the symptoms of high blood pressure?',
  'How is diabetes treated?',
  'What causes asthma?',
  'Who is at risk for osteoporosis?',
  'How can I prevent a heart attack?',
  'What are the treatments for migraine?',
  'Is glaucoma inherited?',
];

/** One streamed completion as the client saw it. */
interface Timed {
  ttftMs: number;
  totalMs: number;
  pieces: number;
}

/** Sends one streamed request and times its first piece of text and its end. */
async function timedStream(url: string, body: unknown): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200 || !res.body) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  let ttftMs = Number.NaN;
  let pieces = 0;
  for await (const event of events) {
    if (event.data === '[DONE]') break;
    const chunk = JSON.parse(event.data) as { choices?: Array<{ delta?: { content?: string } }> };
    if (chunk.choices?.[0]?.delta?.content) {
      if (pieces === 0) ttftMs = performance.now() - started;
      pieces++;
    }
  }
  return { ttftMs, totalMs: performance.now() - started, pieces };
}

/** Runs `bodies` through `url` with `concurrency` clients; the wall time gives the throughput. */
async function load(url: string, bodies: readonly unknown[], concurrency: number): Promise<{ timed: Timed[]; wallS: number }> {
  const timed: Timed[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) timed.push(await timedStream(url, bodies[next++]));
    }),
  );
  return { timed, wallS: (performance.now() - started) / 1000 };
}

function summary(run: { timed: Timed[]; wallS: number }) {
  return {
    ttft: latencyStats(run.timed.map((t) => t.ttftMs)),
    total: latencyStats(run.timed.map((t) => t.totalMs)),
    answersPerS: sig(run.timed.length / run.wallS),
    piecesPerS: sig(run.timed.reduce((s, t) => s + t.pieces, 0) / run.wallS),
  };
}

/** The engine worker: its URL once listening, and what it recorded. */
async function startEngine(): Promise<{ url: string; recorded(): Promise<Array<Record<string, unknown>>>; close(): Promise<void> }> {
  const worker: Worker = startWorker(new URL('./upstream-engine-worker.ts', import.meta.url));
  const message = <T>(pick: (m: Record<string, unknown>) => T | undefined) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        const value = pick(m);
        if (value === undefined) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(value);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  const url = await message((m) => (typeof m.url === 'string' ? m.url : undefined));
  return {
    url,
    recorded: () => {
      const got = message((m) => (Array.isArray(m.recorded) ? (m.recorded as Array<Record<string, unknown>>) : undefined));
      worker.postMessage('recorded');
      return got;
    },
    close: async () => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('close');
      await exited;
    },
  };
}

/**
 * Fills `dataDir` with the seed corpus from a store ingested once per seed file (ingesting takes
 * longer than the measurement on a busy machine) and kept under the OS temp folder.
 */
async function copySeededStore(dataDir: string, log: (message: string) => void): Promise<void> {
  const seed = statSync(SEED_FILE);
  const cached = join(tmpdir(), `galen-bench-seed-${seed.size}-${Math.round(seed.mtimeMs)}`);
  if (!existsSync(cached)) {
    log('ingesting the bundled seed corpus (once; kept for later runs)');
    const building = `${cached}.${process.pid}`;
    mkdirSync(building, { recursive: true });
    const store = KnowledgeStore.open({ dataDir: building });
    try {
      await seedStore(store);
    } finally {
      store.close();
    }
    renameSync(building, cached);
  } else log(`the seed corpus from ${cached}`);
  rmSync(dataDir, { recursive: true, force: true });
  cpSync(cached, dataDir, { recursive: true });
}

export const upstreamBench: BenchModule = {
  name: 'upstream',
  description:
    "Galen's overhead in front of an OpenAI-compatible engine (the tests' stories260k engine): TTFT and total added at p50/p99, throughput at 1/16/64 streams",
  async run(options) {
    const log = makeLogger('upstream');
    const rounds = intOption(options.overrides.rounds, 1);
    const maxTokens = intOption(options.overrides.maxTokens, 16);
    const tokenCount = options.overrides.tokenCount ?? 'engine';
    const corpus = options.overrides.corpus ?? 'seed';
    if (!['engine', 'tokenizer'].includes(tokenCount)) throw new Error('tokenCount is engine or tokenizer');
    const tmp = tempDir('galen-upstream-bench-');
    const engine = await startEngine();
    try {
      const dataDir = join(tmp.dir, 'data');
      if (corpus === 'seed') await copySeededStore(dataDir, log);
      else {
        const store = KnowledgeStore.open({ dataDir });
        try {
          await ingest(store, {
            source: 'mini',
            paths: [join(ROOT, 'tests', 'server', 'fixtures', 'mini-corpus.jsonl')],
            format: 'jsonl',
            license: 'CC BY 4.0',
            attribution: 'Galen test corpus',
          });
        } finally {
          store.close();
        }
      }
      const config = loadConfig({
        env: {},
        overrides: {
          dataDir,
          server: { port: 0 },
          seed: { enabled: false },
          wikipedia: { enabled: false },
          vectors: { enabled: false },
          // A busy machine queues 64 streams in the engine for longer than the default limits.
          security: { rateLimitPerMinute: 0, audit: { enabled: false }, requestTimeoutMs: 600_000 },
          model: { backend: 'openai-compatible' },
          upstream: {
            urls: [engine.url],
            maxConcurrent: 256,
            firstTokenTimeoutMs: 600_000,
            ...(tokenCount === 'tokenizer' ? { tokenizer: join(ROOT, '..', 'shared', 'models', 'stories260k') } : {}),
          },
          answer: { passages: 3, temperature: 0 },
        },
      });
      const server = await startServer(config, createLogger('warn'));
      await server.ready;
      try {
        const galenUrl = `${server.url}/v1/chat/completions`;
        const directUrl = `${engine.url}/chat/completions`;
        const galenBodies = (n: number) =>
          Array.from({ length: n }, (_, i) => ({
            model: 'galen',
            stream: true,
            max_tokens: maxTokens,
            temperature: 0,
            messages: [{ role: 'user', content: QUESTIONS[i % QUESTIONS.length] }],
          }));
        // Warm-up, and the engine's own bodies for each question (Galen's prompt is deterministic).
        await load(galenUrl, galenBodies(QUESTIONS.length * 2), 1);
        await engine.recorded();
        const result: Record<string, unknown> = {
          rounds,
          maxTokens,
          corpus,
          tokenCount,
          targets: { ttftP50AddedMs: TARGET_TTFT_P50_MS, throughputLossAt64: TARGET_THROUGHPUT_LOSS },
        };
        for (const level of LEVELS) {
          const n = Math.max(16, rounds * level);
          const bodies = galenBodies(n);
          const through = await load(galenUrl, bodies, level);
          const sent = await engine.recorded();
          if (sent.length !== n) throw new Error(`the engine saw ${sent.length} completion requests for ${n} answers`);
          const direct = await load(directUrl, sent, level);
          await engine.recorded(); // the direct requests, not Galen's
          const g = summary(through);
          const d = summary(direct);
          const added = {
            ttftP50Ms: sig(g.ttft.p50Ms - d.ttft.p50Ms),
            ttftP99Ms: sig(g.ttft.p99Ms - d.ttft.p99Ms),
            totalP50Ms: sig(g.total.p50Ms - d.total.p50Ms),
            totalP99Ms: sig(g.total.p99Ms - d.total.p99Ms),
          };
          const throughputLoss = round(1 - g.answersPerS / d.answersPerS, 3);
          log(
            `${level} streams: TTFT p50 ${g.ttft.p50Ms} vs ${d.ttft.p50Ms} ms direct (+${added.ttftP50Ms}), total p50 +${added.totalP50Ms} ms, ${g.answersPerS} vs ${d.answersPerS} answers/s`,
          );
          result[`streams${level}`] = {
            requests: n,
            added,
            throughputLoss,
            throughGalen: g,
            direct: d,
          };
        }
        const at = (level: number) => result[`streams${level}`] as { added: { ttftP50Ms: number }; throughputLoss: number };
        result.meetsTargets = {
          ttftP50: LEVELS.every((l) => at(l).added.ttftP50Ms <= TARGET_TTFT_P50_MS),
          throughputAt64: at(64).throughputLoss <= TARGET_THROUGHPUT_LOSS,
        };
        return result;
      } finally {
        await server.close();
      }
    } finally {
      await engine.close();
      tmp.cleanup();
    }
  },
};
