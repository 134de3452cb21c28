import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore, SEED_SOURCES, seedStore } from '../../knowledge/index.js';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import { createLogger } from '../../server/logging/logger.js';
import { MINI_CORPUS } from './chat-server.js';
import { tempDir } from '../helpers/paths.js';

// A real server over the seed corpus's Chinese source (MedicalGPT's samples) beside an English one.
const tmp = tempDir('galen-zh-');
let server: RunningServer;

beforeAll(async () => {
  const dataDir = join(tmp.dir, 'data');
  const store = KnowledgeStore.open({ dataDir });
  try {
    const zh = SEED_SOURCES.find((s) => s.source === 'medicalgpt-zh')!;
    await ingest(store, zh);
    await ingest(store, { source: 'mini', paths: [MINI_CORPUS], format: 'jsonl', license: 'CC BY 4.0', attribution: 'Galen test corpus' });
    // A store holding a source of its own is not seeded.
    expect(await seedStore(store)).toBeUndefined();
  } finally {
    store.close();
  }
  const config = loadConfig({
    env: {},
    overrides: { dataDir, server: { port: 0 }, seed: { enabled: false }, wikipedia: { enabled: false }, vectors: { enabled: false } },
  });
  server = await startServer(config, createLogger('silent'));
  await server.ready;
}, 120_000);

afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

describe('a Chinese question through /v1/retrieve', () => {
  it('finds Chinese passages with their licence, and shows the analysis', async () => {
    const res = await fetch(`${server.url}/v1/retrieve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '宫颈炎怎么治疗？', k: 5, sources: ['corpus'] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      hits: Array<{ source: string; license: string; text: string; title: string }>;
      analysis: { language: string; types: string[]; focus: Array<{ name: string }> };
    };
    expect(body.hits.length).toBeGreaterThan(0);
    expect(body.hits[0]).toMatchObject({ source: 'medicalgpt-zh', license: 'Apache-2.0' });
    expect(body.hits.every((h) => h.source === 'medicalgpt-zh')).toBe(true);
    expect(body.hits.some((h) => /宫颈炎/.test(h.title + h.text))).toBe(true);
    expect(body.analysis).toMatchObject({ language: 'zh', types: ['treatment'] });
    expect(body.analysis.focus.map((f) => f.name)).toContain('宫颈炎');
  });
});
