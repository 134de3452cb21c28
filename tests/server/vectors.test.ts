import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../server/security/index.js';
import { VECTOR_INDEX_FILE } from '../../retrieval/vector/index.js';
import { capturingLogger, startChatServer, type ChatServer } from './chat-server.js';

interface Hit {
  externalId: string;
  title: string;
  retrievers: Array<{ retriever: string; rank: number }>;
}

// The server's own vector retrieval (built-in LSA embedder + HNSW index), on the mini corpus.
let chat: ChatServer;
let admin: Record<string, string>;
const started = capturingLogger();

beforeAll(async () => {
  chat = await startChatServer({}, { logger: started.logger });
  const keys = ApiKeyStore.open({ dataDir: chat.dataDir });
  admin = { authorization: `Bearer ${keys.create({ role: 'admin' }).key}` };
  keys.close();
});

afterAll(async () => {
  await chat?.cleanup();
});

async function vectorHits(query: string): Promise<Hit[]> {
  const res = await chat.post('/v1/retrieve', { query, k: 5, sources: ['vector'] });
  expect(res.status).toBe(200);
  return ((await res.json()) as { hits: Hit[] }).hits;
}

async function readiness(url: string): Promise<{ retrievers: string[]; vectors: number | string }> {
  const body = (await (await fetch(`${url}/readyz`)).json()) as {
    retrievers: string[];
    vectors: { state: string; vectors: number } | string;
  };
  return { retrievers: body.retrievers, vectors: typeof body.vectors === 'string' ? body.vectors : body.vectors.vectors };
}

describe('vector retrieval in the server', () => {
  it('builds the index in the background, beside the store, and searches it', async () => {
    expect(started.messages).toContain('vector index ready');
    expect(existsSync(join(chat.dataDir, VECTOR_INDEX_FILE))).toBe(true);
    const ready = await readiness(chat.server.url);
    expect(ready.retrievers).toContain('vector');
    expect(ready.vectors).toBe(7);
    const hits = await vectorHits('gout arthritis joint pain');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]!.title.toLowerCase()).toContain('gout');
    for (const h of hits) expect(h.retrievers.map((r) => r.retriever)).toEqual(['vector']);
  });

  it('keeps the index in step with knowledge ingested and removed over HTTP', async () => {
    // In the fitted embedder's vocabulary (new words only count after a refit): a new mix of known words.
    const text = 'Uric acid crystals and blood pressure medicines together: a note on chest pain with gout.';
    const doc = { id: 'zorb-1', title: 'Zorblaxitis', text };
    const res = await fetch(`${chat.server.url}/v1/knowledge/ingest?source=notes&format=jsonl`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify(doc)}\n`,
    });
    expect(res.status).toBe(202);
    const { job } = (await res.json()) as { job: { id: string } };
    for (let i = 0; i < 400; i++) {
      const view = (await (await fetch(`${chat.server.url}/v1/jobs/${job.id}`, { headers: admin })).json()) as {
        job: { status: string; indexWarning?: string };
      };
      if (view.job.status !== 'queued' && view.job.status !== 'running') {
        expect(view.job.status).toBe('succeeded');
        expect(view.job.indexWarning).toBeUndefined();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await readiness(chat.server.url)).vectors).toBe(8);
    expect((await vectorHits(text))[0]?.title).toBe('Zorblaxitis');

    const removed = await fetch(`${chat.server.url}/v1/knowledge/sources/notes`, { method: 'DELETE', headers: admin });
    expect(removed.status).toBeLessThan(300);
    for (let i = 0; i < 400 && (await readiness(chat.server.url)).vectors !== 7; i++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect((await readiness(chat.server.url)).vectors).toBe(7);
    expect((await vectorHits(text)).map((h) => h.title)).not.toContain('Zorblaxitis');
  });

  it('reloads the saved index on restart instead of rebuilding it', async () => {
    const before = await vectorHits('high blood pressure treatment');
    await chat.server.close();
    const again = capturingLogger();
    const restarted = await startChatServer({ dataDir: chat.dataDir }, { logger: again.logger });
    try {
      expect(again.messages).toContain('vector index ready');
      expect(again.messages.some((m) => /rebuil|repair|fitt/i.test(m))).toBe(false);
      const res = await restarted.post('/v1/retrieve', { query: 'high blood pressure treatment', k: 5, sources: ['vector'] });
      const after = ((await res.json()) as { hits: Hit[] }).hits;
      expect(after.map((h) => h.externalId)).toEqual(before.map((h) => h.externalId));
    } finally {
      await restarted.cleanup();
    }
  });

  it('says a vector search is unavailable when dense retrieval is off', async () => {
    const off = await startChatServer({ vectors: { enabled: false } });
    try {
      expect((await readiness(off.server.url)).vectors).toBe('off');
      const res = await off.post('/v1/retrieve', { query: 'gout', sources: ['vector'] });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_SOURCE');
    } finally {
      await off.cleanup();
    }
  });
});
