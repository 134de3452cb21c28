import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import type { JobView } from '../../server/jobs/index.js';
import { createLogger } from '../../server/logging/logger.js';
import { ApiKeyStore } from '../../server/security/index.js';
import { galen } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

// Source authority through the public interfaces: the ingest API's and CLI's `authority`, the
// source listings, and every hit of /v1/retrieve and /v1/search.
const tmp = tempDir('galen-authority-api-');
const dataDir = join(tmp.dir, 'data');
let server: RunningServer;
let admin: Record<string, string>;

beforeAll(async () => {
  const keys = ApiKeyStore.open({ dataDir });
  admin = { authorization: `Bearer ${keys.create({ role: 'admin' }).key}` };
  keys.close();
  const config = loadConfig({
    env: {},
    overrides: { dataDir, server: { port: 0 }, seed: { enabled: false }, wikipedia: { enabled: false }, vectors: { enabled: false } },
  });
  server = await startServer(config, createLogger('silent'));
  await server.ready;
});

afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

const url = (path: string) => `${server.url}${path}`;
const note = (id: string, text: string) => `${JSON.stringify({ id, title: `Zorblaxitis ${id}`, text })}\n`;

async function ingestJob(query: string, body: string): Promise<JobView> {
  const res = await fetch(url(`/v1/knowledge/ingest?${query}`), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/x-ndjson' },
    body,
  });
  const accepted = (await res.json()) as { job: JobView };
  expect(res.status, JSON.stringify(accepted)).toBe(202);
  for (let i = 0; i < 2400; i++) {
    const { job } = (await (await fetch(url(`/v1/jobs/${accepted.job.id}`), { headers: admin })).json()) as { job: JobView };
    if (!['queued', 'running'].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('job did not finish');
}

async function post(path: string, body: unknown): Promise<{ hits: Array<{ source: string; authority: string }> }> {
  const res = await fetch(url(path), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { hits: Array<{ source: string; authority: string }> };
}

describe('source authority over HTTP and the CLI', () => {
  it('takes authority at upload, lists it, and returns it on every retrieved and searched passage', async () => {
    const forum = await ingestJob('source=forum&authority=dialogue', note('f1', 'Zorblaxitis went away when I drank tea.'));
    expect(forum.status).toBe('succeeded');
    expect(forum.result).toMatchObject({ source: 'forum', authority: 'dialogue' });
    expect((await ingestJob('source=nih', note('n1', 'Zorblaxitis is treated with rest and fluids.'))).status).toBe('succeeded');
    const { sources } = (await (await fetch(url('/v1/knowledge/sources'), { headers: admin })).json()) as {
      sources: Array<{ name: string; authority: string }>;
    };
    expect(Object.fromEntries(sources.map((s) => [s.name, s.authority]))).toEqual({ forum: 'dialogue', nih: 'encyclopedia' });

    const retrieved = await post('/v1/retrieve', { query: 'zorblaxitis', k: 5, sources: ['corpus'] });
    expect(retrieved.hits.map((h) => [h.source, h.authority]).sort()).toEqual([
      ['forum', 'dialogue'],
      ['nih', 'encyclopedia'],
    ]);
    const searched = await post('/v1/search', { query: 'zorblaxitis', k: 5 });
    expect(searched.hits.map((h) => [h.source, h.authority]).sort()).toEqual([
      ['forum', 'dialogue'],
      ['nih', 'encyclopedia'],
    ]);
  });

  it('refuses an unknown authority with a 400 naming the levels', async () => {
    const res = await fetch(url('/v1/knowledge/ingest?source=bad&authority=gospel'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/x-ndjson' },
      body: note('b1', 'Zorblaxitis.'),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toMatch(/authority must be one of reference, literature, encyclopedia, dialogue/);
  });

  it('sets authority with galen ingest --authority and shows it in galen sources', () => {
    const cliDir = join(tmp.dir, 'cli');
    const env = { GALEN_VECTORS: 'false', GALEN_SEED: 'false' };
    const file = join(tmp.dir, 'cli-notes.md');
    writeFileSync(file, '# Zorblaxitis\n\nRest and fluids.\n');
    const r = galen(['--data', cliDir, '--create', 'ingest', file, '--source', 'clinic', '--authority', 'reference'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Source clinic \(reference\)/);
    const listed = galen(['--data', cliDir, '--json', 'sources'], env);
    expect((JSON.parse(listed.stdout) as { sources: Array<{ authority: string }> }).sources[0]!.authority).toBe('reference');
    const bad = galen(['--data', cliDir, 'ingest', file, '--source', 'clinic', '--authority', 'gospel'], env);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Allowed choices are reference, literature, encyclopedia, dialogue/);
  });
});
