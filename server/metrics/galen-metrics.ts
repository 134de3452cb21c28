import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamRequestReport, UpstreamStatus } from '../../model/index.js';
import { routeLabel } from './route-label.js';

/** A Wikipedia circuit breaker's state, as the retriever reports it. */
export type BreakerState = 'closed' | 'half-open' | 'open';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Counts of knowledge administration jobs, for the `galen_knowledge_jobs` gauge. */
export interface JobCounts {
  queued: number;
  running: number;
}

/** What the generator holds now, for the `galen_generator_*` gauges. */
export interface GeneratorLoad {
  waiting: number;
  prefilling: number;
  decoding: number;
  /** Bytes of KV cache held. */
  kvCacheBytes: number;
}

/** A serving-engine backend as the metrics read it (an `OpenAiCompatibleModel`). */
export interface UpstreamSource {
  /** Each engine's breaker, load and running totals, read at each scrape. */
  readonly upstreamStatus: readonly UpstreamStatus[];
  /** Calls the listener as each request to an engine ends; returns the unsubscribe. */
  onRequest(listener: (report: UpstreamRequestReport) => void): () => void;
}

/**
 * Galen's Prometheus metrics, in a registry of their own (several servers in one process, as in
 * tests, do not collide). Exposed at `GET /metrics`:
 *
 * - `galen_http_request_duration_seconds{method,route,status}` histogram (route = pattern);
 * - `galen_retrieval_duration_seconds{retriever}` histogram (corpus, vector, wikipedia, fused…);
 * - `galen_tokens_generated_total` counter;
 * - `galen_queue_depth` gauge: questions waiting for the generator;
 * - `galen_generator_requests{state}` gauge: generations waiting, prefilling and decoding;
 * - `galen_generator_kv_cache_bytes` gauge: memory the generator's KV caches hold;
 * - `galen_wikipedia_breaker_state` gauge: 0 closed, 1 half-open, 2 open;
 * - `galen_knowledge_jobs{status}` gauge: queued and running knowledge jobs;
 * - per serving engine (backend `openai-compatible`, label `upstream` = its base URL):
 *   `galen_upstream_requests_total`, `galen_upstream_errors_total` (failures that count against
 *   it), `galen_upstream_tokens_total{kind=prompt|completion}` counters,
 *   `galen_upstream_request_duration_seconds` and `galen_upstream_time_to_first_token_seconds`
 *   histograms, `galen_upstream_outstanding` and `galen_upstream_breaker_state` (0 closed,
 *   1 half-open, 2 open) gauges;
 * - Node process metrics (`galen_process_*`, `galen_nodejs_*`).
 */
export interface GalenMetrics {
  readonly registry: Registry;
  /** Add generated tokens: `metrics.tokensGenerated.inc(n)`. */
  readonly tokensGenerated: Counter;
  /** Questions waiting for the generator: `metrics.queueDepth.set(n)`. */
  readonly queueDepth: Gauge;
  /** Records one retriever's time for one question. */
  observeRetrieval(retriever: string, ms: number): void;
  /** Records the Wikipedia breaker's state now. */
  setBreakerState(state: BreakerState): void;
  /** Reads the Wikipedia breaker's state at each scrape instead (e.g. `() => wikipedia.circuitState`). */
  watchBreaker(read: () => BreakerState): void;
  /** Reads knowledge job counts at each scrape. */
  watchKnowledgeJobs(read: () => JobCounts): void;
  /**
   * Reads the generator at each scrape: its waiting requests become `galen_queue_depth` (instead
   * of `queueDepth.set`), and the `galen_generator_*` gauges are filled.
   */
  watchGenerator(read: () => GeneratorLoad): void;
  /** Exposes a serving-engine backend's per-engine metrics; returns the unsubscribe (before the model closes). */
  watchUpstreams(source: UpstreamSource): () => void;
  /** Middleware timing every request into the HTTP histogram; mount before the routes. */
  readonly timing: RequestHandler;
  /** `GET /metrics` handler: the text exposition format. */
  readonly handler: RequestHandler;
}

/** Options for {@link createMetrics}. */
export interface MetricsOptions {
  /** Also collect Node process metrics (CPU, memory, event-loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/**
 * Creates Galen's metrics.
 *
 * @example
 * const metrics = createMetrics();
 * metrics.observeRetrieval('wikipedia', 412);
 * metrics.tokensGenerated.inc(128);
 * metrics.queueDepth.set(3);
 * metrics.watchBreaker(() => wikipediaRetriever.circuitState);
 */
export function createMetrics(options: MetricsOptions = {}): GalenMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'galen_' });

  const httpDuration = new Histogram({
    name: 'galen_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const retrievalDuration = new Histogram({
    name: 'galen_retrieval_duration_seconds',
    help: 'Time each retriever took for one question',
    labelNames: ['retriever'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5],
    registers: [registry],
  });
  const tokensGenerated = new Counter({
    name: 'galen_tokens_generated_total',
    help: 'Tokens generated by the answer model',
    registers: [registry],
  });
  let readGenerator: (() => GeneratorLoad) | null = null;
  const queueDepth = new Gauge({
    name: 'galen_queue_depth',
    help: 'Questions waiting for the generator',
    registers: [registry],
    collect() {
      if (readGenerator) this.set(readGenerator().waiting);
    },
  });
  new Gauge({
    name: 'galen_generator_requests',
    help: 'Generations by state: waiting for a batch slot, reading their prompt, decoding',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const load = readGenerator?.() ?? { waiting: 0, prefilling: 0, decoding: 0 };
      for (const state of ['waiting', 'prefilling', 'decoding'] as const) this.set({ state }, load[state]);
    },
  });
  new Gauge({
    name: 'galen_generator_kv_cache_bytes',
    help: "Bytes held by the generator's KV caches",
    registers: [registry],
    collect() {
      this.set(readGenerator?.().kvCacheBytes ?? 0);
    },
  });

  let readBreaker: (() => BreakerState) | null = null;
  const breaker = new Gauge({
    name: 'galen_wikipedia_breaker_state',
    help: 'Wikipedia circuit breaker: 0 closed, 1 half-open, 2 open',
    registers: [registry],
    collect() {
      if (readBreaker) this.set(BREAKER_VALUE[readBreaker()]);
    },
  });
  breaker.set(0);

  let readJobs: (() => JobCounts) | null = null;
  new Gauge({
    name: 'galen_knowledge_jobs',
    help: 'Knowledge administration jobs by status',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      const counts = readJobs?.() ?? { queued: 0, running: 0 };
      this.set({ status: 'queued' }, counts.queued);
      this.set({ status: 'running' }, counts.running);
    },
  });

  let upstreams: UpstreamSource | null = null;
  const perUpstream = (name: string, help: string, read: (s: UpstreamStatus) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['upstream'] as const,
      registers: [registry],
      collect() {
        // The backend keeps running totals: the counter shows them as they are at the scrape.
        this.reset();
        for (const status of upstreams?.upstreamStatus ?? []) this.inc({ upstream: status.url }, read(status));
      },
    });
  perUpstream('galen_upstream_requests_total', 'Requests sent to each serving engine (each attempt)', (s) => s.requests);
  perUpstream('galen_upstream_errors_total', 'Requests that failed against each serving engine', (s) => s.errors);
  new Counter({
    name: 'galen_upstream_tokens_total',
    help: "Tokens of each serving engine's finished requests, by kind (prompt, completion)",
    labelNames: ['upstream', 'kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const status of upstreams?.upstreamStatus ?? []) {
        this.inc({ upstream: status.url, kind: 'prompt' }, status.promptTokens);
        this.inc({ upstream: status.url, kind: 'completion' }, status.completionTokens);
      }
    },
  });
  new Gauge({
    name: 'galen_upstream_outstanding',
    help: 'Requests in flight to each serving engine',
    labelNames: ['upstream'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const status of upstreams?.upstreamStatus ?? []) this.set({ upstream: status.url }, status.outstanding);
    },
  });
  new Gauge({
    name: 'galen_upstream_breaker_state',
    help: "Each serving engine's circuit breaker: 0 closed, 1 half-open, 2 open",
    labelNames: ['upstream'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const status of upstreams?.upstreamStatus ?? []) this.set({ upstream: status.url }, BREAKER_VALUE[status.breaker]);
    },
  });
  const upstreamDuration = new Histogram({
    name: 'galen_upstream_request_duration_seconds',
    help: 'Time of each request to a serving engine, to its end',
    labelNames: ['upstream'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const upstreamFirstToken = new Histogram({
    name: 'galen_upstream_time_to_first_token_seconds',
    help: "Time from each request to a serving engine to the engine's first piece of text",
    labelNames: ['upstream'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  return {
    registry,
    tokensGenerated,
    queueDepth,
    observeRetrieval: (retriever, ms) => retrievalDuration.observe({ retriever }, ms / 1000),
    setBreakerState: (state) => {
      readBreaker = null;
      breaker.set(BREAKER_VALUE[state]);
    },
    watchBreaker: (read) => {
      readBreaker = read;
    },
    watchKnowledgeJobs: (read) => {
      readJobs = read;
    },
    watchGenerator: (read) => {
      readGenerator = read;
    },
    watchUpstreams: (source) => {
      upstreams = source;
      const stop = source.onRequest((report) => {
        upstreamDuration.observe({ upstream: report.url }, report.latencyMs / 1000);
        if (report.firstTokenMs !== undefined) upstreamFirstToken.observe({ upstream: report.url }, report.firstTokenMs / 1000);
      });
      return () => {
        stop();
        if (upstreams === source) upstreams = null;
      };
    },
    timing: (req, res, next) => {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        httpDuration.observe({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }, seconds);
      });
      next();
    },
    handler: (_req, res, next) => {
      registry.metrics().then((text) => {
        res.setHeader('Content-Type', registry.contentType);
        res.send(text);
      }, next);
    },
  };
}
