import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import { createLogger } from '../../server/logging/logger.js';
import { createMetrics } from '../../server/metrics/index.js';
import { ApiKeyStore } from '../../server/security/index.js';
import { tempDir } from '../helpers/paths.js';

const tmp = tempDir();
let server: RunningServer;
let clinicianKey: string;

beforeAll(async () => {
  const dataDir = join(tmp.dir, randomUUID());
  const keys = ApiKeyStore.open({ dataDir });
  clinicianKey = keys.create({ role: 'clinician' }).key;
  keys.close();
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      server: { port: 0 },
      seed: { enabled: false },
      wikipedia: { enabled: false },
      security: { anonymousRole: 'none' },
    },
  });
  server = await startServer(config, createLogger('silent'));
  await server.ready;
});

afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

/** The value of one sample line (`name{labels} value`) in an exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('needs a key like the other routes when anonymous callers have no role', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  });

  it('exposes request latency per route, tokens, queue depth, breaker state, jobs and process metrics', async () => {
    const headers = { authorization: `Bearer ${clinicianKey}`, 'content-type': 'application/json' };
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${server.url}/v1/search`, { method: 'POST', headers, body: JSON.stringify({ query: 'gout' }) })).status).toBe(
        200,
      );
    }
    await fetch(`${server.url}/v1/nowhere`, { headers });
    await fetch(`${server.url}/v1/jobs/${randomUUID()}`, { headers });

    const res = await fetch(`${server.url}/metrics`, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of [
      'galen_http_request_duration_seconds',
      'galen_retrieval_duration_seconds',
      'galen_tokens_generated_total',
      'galen_queue_depth',
      'galen_wikipedia_breaker_state',
      'galen_knowledge_jobs',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(sample(text, 'galen_http_request_duration_seconds_count', { method: 'POST', route: '/v1/search', status: '200' })).toBe(3);
    // Routes are labelled by pattern, and unrouted requests share one label, so ids do not explode the series.
    expect(sample(text, 'galen_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1);
    expect(sample(text, 'galen_http_request_duration_seconds_count', { route: '/v1/jobs/:id', status: '403' })).toBe(1);
    expect(text).not.toMatch(/route="\/v1\/jobs\/[0-9a-f-]{36}"/);
    expect(sample(text, 'galen_wikipedia_breaker_state')).toBe(0);
    expect(sample(text, 'galen_knowledge_jobs', { status: 'queued' })).toBe(0);
    expect(sample(text, 'galen_process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});

describe('createMetrics', () => {
  it('records what the answer pipeline reports', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.observeRetrieval('corpus', 4);
    metrics.observeRetrieval('wikipedia', 700);
    metrics.observeRetrieval('wikipedia', 1200);
    metrics.tokensGenerated.inc(128);
    metrics.tokensGenerated.inc(2);
    metrics.queueDepth.set(3);
    metrics.setBreakerState('open');
    let jobs = { queued: 2, running: 1 };
    metrics.watchKnowledgeJobs(() => jobs);
    let text = await metrics.registry.metrics();
    expect(sample(text, 'galen_retrieval_duration_seconds_count', { retriever: 'wikipedia' })).toBe(2);
    expect(sample(text, 'galen_retrieval_duration_seconds_bucket', { retriever: 'wikipedia', le: '1' })).toBe(1);
    expect(sample(text, 'galen_retrieval_duration_seconds_sum', { retriever: 'corpus' })).toBeCloseTo(0.004);
    expect(sample(text, 'galen_tokens_generated_total')).toBe(130);
    expect(sample(text, 'galen_queue_depth')).toBe(3);
    expect(sample(text, 'galen_wikipedia_breaker_state')).toBe(2);
    expect(sample(text, 'galen_knowledge_jobs', { status: 'running' })).toBe(1);
    expect(text).not.toContain('galen_process_');

    // A watched breaker is read at each scrape.
    let state: 'closed' | 'half-open' | 'open' = 'half-open';
    metrics.watchBreaker(() => state);
    jobs = { queued: 0, running: 0 };
    text = await metrics.registry.metrics();
    expect(sample(text, 'galen_wikipedia_breaker_state')).toBe(1);
    expect(sample(text, 'galen_knowledge_jobs', { status: 'queued' })).toBe(0);
    state = 'closed';
    expect(sample(await metrics.registry.metrics(), 'galen_wikipedia_breaker_state')).toBe(0);
  });
});
