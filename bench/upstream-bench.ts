/**
 * Galen's overhead in front of a serving engine: the tests' OpenAI-compatible engine (stories260k
 * on Galen's runtime, in an OS process of its own: `upstream-engine-process.ts`) answers streamed
 * `/v1/chat/completions` requests directly and through a real `galen serve` (another child process;
 * `model.backend: openai-compatible`, the bundled seed corpus, BM25 only, no Wikipedia), at 1, 16
 * and 64 concurrent streams. The direct requests replay the very bodies Galen sent the engine (same
 * prompt, greedy, same length), so the difference is what Galen adds: retrieval, context packing
 * (token counts from the engine's `/tokenize` by default), the prompt, the proxying of the stream and
 * its citation checks. Targets: ≤ 10 ms added to time to first token at p50, ≤ 5% less throughput
 * at 64 streams.
 *
 * As the three (this client, Galen, the engine) are separate processes, each level also reports
 * the CPU each server process used per answer (Linux `/proc/<pid>/stat`; null elsewhere), and a
 * breakdown of Galen's added time from the timings in the last chunk of each of its answers
 * (`galen.timings`): retrieval, the rest of the pipeline before the engine's first token (triage,
 * the plan, packing the passages, the prompt), the engine's own time to first token as Galen saw it,
 * and Galen's HTTP layer and proxying up to the client's first piece.
 *
 * Overrides (`--set`): rounds=<answers per stream at each level, at least 16 answers a level>
 * (default 1), pin=true|false (default true where `taskset` and two CPUs exist: Galen on CPU 0, the engine
 * and this client on CPU 1, as when the engine has hardware of its own — Galen's overhead is then
 * what it adds, not the CPU it takes from an engine on the same cores; false: all share every
 * CPU), maxTokens=<per answer> (default 16), tokenCount=engine|tokenizer (default engine: the engine's
 * /tokenize as with vLLM; tokenizer: Galen counts with the model's tokenizer folder),
 * corpus=seed|mini (default seed, ingested once into a store kept under the OS temp folder and
 * copied for each run; mini: the tests' five documents, a smoke run), logLevel=<Galen's pino level>
 * (default warn).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ingest, KnowledgeStore, SEED_FILE, seedStore } from '../knowledge/index.js';
import { type BenchModule, cpuSeconds, freePort, intOption, latencyStats, makeLogger, ROOT, round, sig, tempDir } from './common.js';

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
/** The questions the tests' five documents answer (`corpus=mini`): Galen says "not covered" to the others without asking the engine. */
const MINI_QUESTIONS = [
  'What is gout?',
  'What are the symptoms of gout?',
  'How is gout treated?',
  'How is high blood pressure treated?',
  'What are the symptoms of a heart attack?',
];

/** The timings in the last chunk of one of Galen's answers (`galen.timings`, the answer pipeline's). */
interface GalenTimings {
  triageMs: number;
  retrieval: { total: number };
  /** From the engine's first token (the stream starts once text comes) to the answer's end. */
  generationMs: number;
  /** The engine's, as Galen saw it: from sending the request to its first piece of text. */
  timeToFirstTokenMs?: number;
  /** The pipeline's, from the question to the answer's end. */
  totalMs: number;
}

/** One streamed completion as the client saw it. */
interface Timed {
  ttftMs: number;
  totalMs: number;
  pieces: number;
  /** Through Galen only. */
  timings?: GalenTimings;
}

/** Sends one streamed request and times its first piece of text and its end. */
async function timedStream(url: string, body: unknown): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200 || !res.body) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  let ttftMs = Number.NaN;
  let pieces = 0;
  let timings: GalenTimings | undefined;
  for await (const event of events) {
    if (event.data === '[DONE]') break;
    const chunk = JSON.parse(event.data) as { choices?: Array<{ delta?: { content?: string } }>; galen?: { timings?: GalenTimings } };
    if (chunk.choices?.[0]?.delta?.content) {
      if (pieces === 0) ttftMs = performance.now() - started;
      pieces++;
    }
    if (chunk.galen?.timings) timings = chunk.galen.timings;
  }
  return { ttftMs, totalMs: performance.now() - started, pieces, ...(timings ? { timings } : {}) };
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

/**
 * Where Galen's added time to first token goes, per answer through Galen that the engine wrote
 * (p50 and mean of each part; the means add up to `added`, the p50s need not): `retrievalMs`
 * (`timings.retrieval.total`), `planPromptMs` (the rest of the pipeline before the engine's first
 * token: triage, the plan and any second search for a missing section, packing the passages with
 * their token counts, the prompt), `engineTtftMs` (the engine's, from Galen's request to its first
 * piece), `httpProxyMs` (the client's first piece less the pipeline's time to the engine's first
 * token: Galen's HTTP layer, before the pipeline and forwarding the piece) and `addedMs` (the
 * client's time to first token less the engine's).
 */
function breakdown(timed: readonly Timed[]) {
  const parts = {
    clientTtftMs: [] as number[],
    engineTtftMs: [] as number[],
    addedMs: [] as number[],
    retrievalMs: [] as number[],
    triageMs: [] as number[],
    planPromptMs: [] as number[],
    httpProxyMs: [] as number[],
  };
  for (const { ttftMs, timings: t } of timed) {
    if (!t || t.timeToFirstTokenMs === undefined || !Number.isFinite(ttftMs)) continue;
    // The pipeline returns the engine's stream once its first piece came: until then, all but generationMs.
    const toFirstToken = t.totalMs - t.generationMs;
    parts.clientTtftMs.push(ttftMs);
    parts.engineTtftMs.push(t.timeToFirstTokenMs);
    parts.addedMs.push(ttftMs - t.timeToFirstTokenMs);
    parts.retrievalMs.push(t.retrieval.total);
    parts.triageMs.push(t.triageMs);
    parts.planPromptMs.push(toFirstToken - t.triageMs - t.retrieval.total - t.timeToFirstTokenMs);
    parts.httpProxyMs.push(ttftMs - toFirstToken);
  }
  const stats = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, latencyStats(v)]));
  const pick = (key: 'p50Ms' | 'meanMs') => Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, v[key]]));
  return { answers: parts.addedMs.length, p50Ms: pick('p50Ms'), meanMs: pick('meanMs') };
}

/** Runs `work` and returns its result with the CPU ms per request each of `pids` used meanwhile. */
async function withCpu<T>(pids: Record<string, number | undefined>, requests: number, work: () => Promise<T>) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const value = await work();
  const cpuMsPerRequest = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => {
      const after = cpuSeconds(pid);
      const was = before[k];
      return [k, after !== null && was !== null && was !== undefined ? round(((after - was) * 1000) / requests, 2) : null];
    }),
  );
  return { value, cpuMsPerRequest };
}

/** Resolves with the first IPC message of `child` that `pick` accepts; rejects when it exits first. */
function message<T>(child: ChildProcess, what: string, pick: (m: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      const value = pick(m);
      if (value === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(value);
    };
    const onExit = (code: number | null, signal: string | null) => reject(new Error(`${what} exited (${signal ?? code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Waits for `child` to exit, killing it after `graceMs`. */
async function stopChild(child: ChildProcess, graceMs: number, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  ask();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The engine process: its URL once listening, its pid, and what it recorded. */
async function startEngine(): Promise<{
  url: string;
  pid: number | undefined;
  recorded(): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}> {
  const child = fork(join(ROOT, 'bench', 'upstream-engine-process.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const close = () => stopChild(child, 10_000, () => (child.connected ? child.send('close') : child.kill('SIGTERM')));
  try {
    const url = await message(child, 'the engine process', (m) => (typeof m.url === 'string' ? m.url : undefined));
    return {
      url,
      pid: child.pid,
      recorded: () => {
        const got = message(child, 'the engine process', (m) =>
          Array.isArray(m.recorded) ? (m.recorded as Array<Record<string, unknown>>) : undefined,
        );
        child.send('recorded');
        return got;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * `galen serve` in a child process on `config` (a JSON file, the only configuration: the bench's
 * own `GALEN_*` variables are not passed on), once `/readyz` answers 200.
 */
async function startGalen(
  config: Record<string, unknown>,
  dir: string,
  logLevel: string,
): Promise<{ url: string; pid: number | undefined; close(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const file = join(dir, 'galen-config.json');
  writeFileSync(file, JSON.stringify({ ...config, server: { host: '127.0.0.1', port } }, null, 2));
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GALEN_')));
  Object.assign(env, { GALEN_FROM_SOURCE: '1', GALEN_CONFIG: file, GALEN_LOG_LEVEL: logLevel });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'galen.js'), 'serve'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const close = () => stopChild(child, 30_000, () => child.kill('SIGTERM'));
  try {
    const started = performance.now();
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`galen serve exited (${child.signalCode ?? child.exitCode})`);
      if (performance.now() - started > 10 * 60_000) throw new Error('galen serve was not ready in 10 minutes');
      const status = await fetch(`${url}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return { url, pid: child.pid, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Whether processes can be pinned to CPUs here (Linux's `taskset`, two CPUs or more). */
function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Puts every thread of `pid` on `cpu`; threads it starts later inherit it. */
function pin(pid: number | undefined, cpu: number): void {
  if (pid === undefined) throw new Error('cannot pin a process without a pid');
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
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
    "Galen's overhead in front of an OpenAI-compatible engine (the tests' stories260k engine, each in its own process): TTFT and total added at p50/p99, throughput at 1/16/64 streams, CPU per answer, where the added TTFT goes",
  async run(options) {
    const log = makeLogger('upstream');
    const rounds = intOption(options.overrides.rounds, 1);
    const maxTokens = intOption(options.overrides.maxTokens, 16);
    const tokenCount = options.overrides.tokenCount ?? 'engine';
    const corpus = options.overrides.corpus ?? 'seed';
    const logLevel = options.overrides.logLevel ?? 'warn';
    if (!['engine', 'tokenizer'].includes(tokenCount)) throw new Error('tokenCount is engine or tokenizer');
    const pinnable = canPin();
    const pinned = (options.overrides.pin ?? String(pinnable)) === 'true';
    if (pinned && !pinnable) throw new Error('pin=true needs Linux taskset and two CPUs');
    const questions = corpus === 'mini' ? MINI_QUESTIONS : QUESTIONS;
    const tmp = tempDir('galen-upstream-bench-');
    const engine = await startEngine();
    if (pinned) {
      pin(engine.pid, 1);
      pin(process.pid, 1);
    }
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
      const config = {
        dataDir,
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
      };
      log(`engine process ${engine.pid} on ${engine.url}; starting galen serve`);
      const server = await startGalen(config, tmp.dir, logLevel);
      if (pinned) pin(server.pid, 0);
      log(`galen serve process ${server.pid} on ${server.url}${pinned ? ' (Galen on CPU 0, the engine and this client on CPU 1)' : ''}`);
      try {
        const galenUrl = `${server.url}/v1/chat/completions`;
        const directUrl = `${engine.url}/chat/completions`;
        const galenBodies = (n: number) =>
          Array.from({ length: n }, (_, i) => ({
            model: 'galen',
            stream: true,
            max_tokens: maxTokens,
            temperature: 0,
            messages: [{ role: 'user', content: questions[i % questions.length] }],
          }));
        // Warm-up, and the engine's own bodies for each question (Galen's prompt is deterministic).
        await load(galenUrl, galenBodies(questions.length * 2), 1);
        await engine.recorded();
        const result: Record<string, unknown> = {
          rounds,
          maxTokens,
          corpus,
          tokenCount,
          processes: { engine: 'forked child (bench/upstream-engine-process.ts)', galen: 'galen serve child', client: 'the bench' },
          cpuPinning: pinned ? { galen: [0], engine: [1], client: [1] } : null,
          cpuMeasured: cpuSeconds(engine.pid) !== null && cpuSeconds(server.pid) !== null,
          targets: { ttftP50AddedMs: TARGET_TTFT_P50_MS, throughputLossAt64: TARGET_THROUGHPUT_LOSS },
        };
        const pids = { galen: server.pid, engine: engine.pid };
        for (const level of LEVELS) {
          const n = Math.max(16, rounds * level);
          const bodies = galenBodies(n);
          const through = await withCpu(pids, n, () => load(galenUrl, bodies, level));
          const sent = await engine.recorded();
          if (sent.length !== n) throw new Error(`the engine saw ${sent.length} completion requests for ${n} answers`);
          const direct = await withCpu({ engine: engine.pid }, n, () => load(directUrl, sent, level));
          await engine.recorded(); // the direct requests, not Galen's
          const g = summary(through.value);
          const d = summary(direct.value);
          const added = {
            ttftP50Ms: sig(g.ttft.p50Ms - d.ttft.p50Ms),
            ttftP99Ms: sig(g.ttft.p99Ms - d.ttft.p99Ms),
            totalP50Ms: sig(g.total.p50Ms - d.total.p50Ms),
            totalP99Ms: sig(g.total.p99Ms - d.total.p99Ms),
          };
          const throughputLoss = round(1 - g.answersPerS / d.answersPerS, 3);
          const cpuMsPerRequest = {
            galen: through.cpuMsPerRequest.galen ?? null,
            engineThroughGalen: through.cpuMsPerRequest.engine ?? null,
            engineDirect: direct.cpuMsPerRequest.engine ?? null,
          };
          const ttftBreakdown = breakdown(through.value.timed);
          const b = ttftBreakdown.p50Ms;
          log(
            `${level} streams: TTFT p50 ${g.ttft.p50Ms} vs ${d.ttft.p50Ms} ms direct (+${added.ttftP50Ms}), total p50 +${added.totalP50Ms} ms, ${g.answersPerS} vs ${d.answersPerS} answers/s`,
          );
          log(
            `${level} streams: CPU ms/answer Galen ${cpuMsPerRequest.galen}, engine ${cpuMsPerRequest.engineThroughGalen} (direct ${cpuMsPerRequest.engineDirect}); ` +
              `TTFT through Galen p50 ${b.clientTtftMs} ms = retrieval ${b.retrievalMs} + plan/prompt ${b.planPromptMs} + engine ${b.engineTtftMs} + HTTP/proxy ${b.httpProxyMs} (p50s; ${ttftBreakdown.answers} answers)`,
          );
          result[`streams${level}`] = {
            requests: n,
            added,
            throughputLoss,
            cpuMsPerRequest,
            ttftBreakdown,
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
