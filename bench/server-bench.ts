/**
 * Server throughput: the real `galen serve` (a child process, extractive answers, no Wikipedia,
 * rate limit off) on a data directory seeded with the bundled corpus, loaded over loopback with
 * autocannon at 1, 16 and 64 connections on `POST /v1/retrieve` and `POST /v1/chat`. Requests carry a clinician API key, so
 * authentication, the audit log and metrics are in the measured path.
 *
 * Questions: the twelve below and the 500 MedQuAD paraphrase dev questions (about the seed corpus),
 * in turn, so that no two requests in a row search the same terms (`questions=own`: the twelve alone,
 * as before; their terms are rarer: a BM25 search for 30 candidates took 1.6 ms on average for them and
 * 2.2–2.9 ms for the 512, measured in-process on the seed corpus).
 *
 * Overrides (`--set`): duration=<s per point> (default 10; quick 3), connections=1,16,64,
 * routes=retrieve,chat (also `search`: lexical search alone, to compare), dataDir=<dir> (reuse a
 * seeded store; default a fresh temporary one), logLevel=<pino level> (default warn),
 * workers=<n> (`GALEN_RETRIEVAL_WORKERS`; default the server's, 2; 0 searches on the HTTP thread),
 * questions=own|all (default all).
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeyStore } from '../server/security/index.js';
import { cpuSeconds, freePort, intOption, ROOT, round, tempDir, type BenchModule, type BenchOptions } from './common.js';

const OWN_QUESTIONS = [
  'What causes gout?',
  'What are the symptoms of type 2 diabetes?',
  'How is high blood pressure treated?',
  'What is polycystic ovary syndrome?',
  'Is asthma inherited?',
  'What are the treatments for migraine?',
  'How is Lyme disease diagnosed?',
  'What are the early signs of Parkinson disease?',
  'What causes kidney stones?',
  'How can osteoporosis be prevented?',
  'What is the outlook for people with hepatitis C?',
  'What are the complications of pneumonia?',
];

const ALL_QUESTIONS = [
  ...OWN_QUESTIONS,
  ...readFileSync(join(ROOT, 'retrieval', 'evaluation', 'sets', 'medquad-paraphrase-dev.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { question: string }).question),
];

/** The 16-connection target for `/v1/retrieve` on a 2-core machine. */
const TARGET = { connections: 16, minRequestsPerSecond: 300, maxP99Ms: 100 };

interface Point {
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /**
   * Server CPU (all its threads) per request, ms: on a shared machine a steadier measure than
   * throughput, as it does not count time the server waited for a core.
   */
  serverCpuMsPerRequest: number | null;
}

async function waitReady(base: string, child: ChildProcess, log: (m: string) => void, timeoutMs = 15 * 60_000): Promise<void> {
  const started = performance.now();
  let last = '';
  while (performance.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`galen serve exited with status ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/readyz`);
      const body = (await res.json()) as { status?: string; reason?: string; vectors?: { state: string } | string };
      // Measure the steady state: after the seed corpus and the background vector index build.
      const building = typeof body.vectors === 'object' && body.vectors.state === 'building';
      if (res.status === 200 && !building) return;
      const reason = building ? 'building the vector index' : body.reason;
      if (reason && reason !== last) log(`server not ready yet: ${(last = reason)}`);
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the server did not become ready in time');
}

async function load(
  base: string,
  path: string,
  key: string,
  body: (q: string) => string,
  connections: number,
  duration: number,
  questions: readonly string[],
  serverPid?: number,
): Promise<Point> {
  let n = 0;
  const cpuBefore = cpuSeconds(serverPid);
  const result = await autocannon({
    url: base,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        setupRequest: (req) => ({ ...req, body: body(questions[n++ % questions.length]!) }),
      },
    ],
  });
  const cpuAfter = cpuSeconds(serverPid);
  const served = result.requests.total;
  return {
    connections,
    requestsPerSecond: round(result.requests.average, 1),
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    serverCpuMsPerRequest:
      cpuBefore !== null && cpuAfter !== null && served > 0 ? round(((cpuAfter - cpuBefore) * 1000) / served, 2) : null,
  };
}

async function run(options: BenchOptions): Promise<Record<string, unknown>> {
  const { log, overrides } = options;
  const duration = intOption(overrides.duration, options.quick ? 3 : 10);
  const questions = overrides.questions === 'own' ? OWN_QUESTIONS : ALL_QUESTIONS;
  const levels = (overrides.connections ?? '1,16,64')
    .split(',')
    .map(Number)
    .filter((c) => c > 0);
  const tmp = overrides.dataDir ? null : tempDir('galen-bench-server-');
  const dataDir = overrides.dataDir ?? join(tmp!.dir, 'data');

  const keys = ApiKeyStore.open({ dataDir });
  const key = keys.create({ role: 'clinician', label: 'server benchmark' }).key;
  keys.close();

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GALEN_FROM_SOURCE: '1',
    GALEN_DATA_DIR: dataDir,
    GALEN_HOST: '127.0.0.1',
    GALEN_PORT: String(port),
    GALEN_WIKIPEDIA: 'false',
    GALEN_RATE_LIMIT: '0',
    GALEN_LOG_LEVEL: overrides.logLevel ?? 'warn',
    ...(overrides.workers !== undefined ? { GALEN_RETRIEVAL_WORKERS: String(intOption(overrides.workers, 2)) } : {}),
  };
  delete env.GALEN_MODEL;
  delete env.GALEN_CONFIG;
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'galen.js'), 'serve'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const seedStarted = performance.now();
    log(`starting galen serve on ${base} (data ${dataDir}; an empty store is seeded first)`);
    await waitReady(base, child, log);
    const readyS = round((performance.now() - seedStarted) / 1000, 1);
    log(`ready after ${readyS} s`);
    // What the server runs with, as it reports it (not what this bench asked for).
    const { retrievalWorkers } = (await (await fetch(`${base}/readyz`)).json()) as { retrievalWorkers: number };

    const probe = (path: string, body: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body,
      }).then((r) => r.status);
    const retrievePath = '/v1/retrieve';
    // The first question a second after start: the analysis and ranking parts are built at start, not by it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const firstStarted = performance.now();
    const firstStatus = await probe(retrievePath, JSON.stringify({ query: OWN_QUESTIONS[1], k: 10 }));
    const firstRetrieveMs = round(performance.now() - firstStarted, 1);
    log(`first ${retrievePath} after ready: ${firstRetrieveMs} ms (HTTP ${firstStatus})`);

    const wanted = (overrides.routes ?? 'retrieve,chat').split(',').map((r) => r.trim());
    const routes: Array<{ name: string; path: string; body: (q: string) => string }> = [];
    if (wanted.includes('search')) routes.push({ name: 'v1/search', path: '/v1/search', body: (q) => JSON.stringify({ query: q, k: 10 }) });
    if (wanted.includes('retrieve'))
      routes.push({ name: retrievePath.slice(1), path: retrievePath, body: (q) => JSON.stringify({ query: q, k: 10 }) });
    const chatStatus = await probe('/v1/chat', JSON.stringify({ messages: [{ role: 'user', content: OWN_QUESTIONS[0] }] }));
    if (wanted.includes('chat')) {
      if (chatStatus === 200)
        routes.push({ name: 'v1/chat', path: '/v1/chat', body: (q) => JSON.stringify({ messages: [{ role: 'user', content: q }] }) });
      else log(`POST /v1/chat answered ${chatStatus}: not benchmarked`);
    }

    const results: Record<string, unknown> = {};
    for (const route of routes) {
      log(`${route.path}: warming up`);
      await load(base, route.path, key, route.body, 4, 2, questions);
      const points: Point[] = [];
      for (const connections of levels) {
        const point = await load(base, route.path, key, route.body, connections, duration, questions, child.pid);
        log(
          `${route.path} × ${connections}: ${point.requestsPerSecond} req/s, p50 ${point.p50Ms} ms, p99 ${point.p99Ms} ms, ` +
            `server CPU ${point.serverCpuMsPerRequest} ms/request, non-2xx ${point.non2xx}, errors ${point.errors}`,
        );
        points.push(point);
      }
      results[route.name] = points;
    }
    const retrieveAt = (results[retrievePath.slice(1)] as Point[] | undefined)?.find((p) => p.connections === TARGET.connections);
    return {
      durationPerPointS: duration,
      questions: questions.length,
      retrievalWorkers,
      readyAfterS: readyS,
      firstRetrieveMs,
      retrieveRoute: retrievePath,
      chatBenchmarked: chatStatus === 200,
      target: {
        ...TARGET,
        route: retrievePath,
        met: retrieveAt ? retrieveAt.requestsPerSecond >= TARGET.minRequestsPerSecond && retrieveAt.p99Ms <= TARGET.maxP99Ms : null,
      },
      routes: results,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    tmp?.cleanup();
  }
}

export const serverBench: BenchModule = {
  name: 'server',
  description: 'galen serve over loopback with autocannon: /v1/retrieve and extractive /v1/chat at 1, 16, 64 connections',
  run,
};
