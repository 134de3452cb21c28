import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { LsaEmbedder } from '../../model/embedding/index.js';
import {
  chunkEmbeddingText,
  LSA_MODEL_FILE,
  LSA_STATE_FILE,
  openVectorRetrieval,
  readVectorIndexStatus,
  VECTOR_META_FILE,
  type VectorRetrieval,
} from '../../retrieval/vector/index.js';
import { copyMedquadSample, copyPubmedSample } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/paths.js';
import type { VectorSearchResult } from '../../retrieval/pipeline/index.js';

// A real store (MedQuAD GHR files, PubMedQA abstracts), the real built-in LSA embedder fitted in
// its worker, real hnswlib files.
let tmp: ReturnType<typeof tempDir>;
let dataDir: string;
let store: KnowledgeStore;
let logs: Array<['info' | 'warn', string]>;
let onLog: ((message: string) => void) | undefined;
const logger = {
  info: (m: string) => {
    logs.push(['info', m]);
    onLog?.(m);
  },
  warn: (m: string) => logs.push(['warn', m]),
};
const warnings = () => logs.filter(([level]) => level === 'warn').map(([, m]) => m);
const open: VectorRetrieval[] = [];

/** Vector retrieval of the test store; `inlineLimit: 0` fits and builds in the worker threads, as for a real corpus. */
async function vectors(inlineLimit?: number): Promise<VectorRetrieval> {
  const v = await openVectorRetrieval({
    dataDir,
    store,
    logger,
    lsa: { dimension: 32 },
    ...(inlineLimit !== undefined ? { inlineLimit } : {}),
  });
  open.push(v);
  return v;
}

beforeEach(async () => {
  tmp = tempDir('galen-vectors-');
  dataDir = join(tmp.dir, 'data');
  store = KnowledgeStore.open({ dataDir });
  await ingest(store, { source: 'ghr', paths: [copyMedquadSample(tmp.dir, 40)] });
  await ingest(store, { source: 'pubmed', paths: [copyPubmedSample(tmp.dir, 100)], format: 'pubmedqa' });
  logs = [];
});

afterEach(() => {
  for (const v of open.splice(0)) v.close();
  store.close();
  tmp.cleanup();
});

describe('vector retrieval', () => {
  it('fits the built-in embedder at the first sync, persists it, and reloads without refitting', async () => {
    const first = await vectors(0);
    expect(first.embedder).toBeNull();
    expect(await first.searcher.search('gout', 5)).toEqual({ hits: [], similarities: new Map() });
    const report = await first.sync();
    const chunks = store.countChunks();
    expect(report).toMatchObject({ added: chunks, removed: 0, count: chunks, refitted: 'no model yet', rebuilt: 'no vector index yet' });
    expect(report.embedderId).toMatch(/^lsa-v1:[0-9a-f]{16}$/);
    expect(first.embedder?.dimension).toBe(32);
    for (const file of [LSA_MODEL_FILE, LSA_STATE_FILE, VECTOR_META_FILE]) expect(existsSync(join(dataDir, file))).toBe(true);

    // A chunk's own text finds that chunk; the same call scores exactly the chunks asked for.
    const chunk = store.getChunksByExternalId('GHR_0000010_Sec1')[0]!;
    const other = store.getChunksByExternalId('GHR_0000020_Sec1')[0]!;
    const { hits, similarities } = await first.searcher.search(chunkEmbeddingText(chunk), 5, [chunk.chunkId, other.chunkId, 999_999]);
    expect(hits[0]!.chunkId).toBe(chunk.chunkId);
    expect([...similarities.keys()]).toEqual([chunk.chunkId, other.chunkId]);
    expect(similarities.get(chunk.chunkId)!).toBeCloseTo(hits[0]!.score, 5);
    expect(similarities.get(other.chunkId)!).toBeLessThan(similarities.get(chunk.chunkId)!);
    expect((await first.searcher.search(chunkEmbeddingText(chunk), 5)).similarities.size).toBe(0); // none asked for
    first.close();
    expect(await first.searcher.search('gout', 5)).toEqual({ hits: [], similarities: new Map() });

    // The same model, from disk: same id, same answers, nothing refitted or rebuilt.
    logs = [];
    const again = await vectors();
    expect(again.embedder?.id).toBe(report.embedderId);
    expect((await again.searcher.search(chunkEmbeddingText(chunk), 5)).hits).toEqual(hits);
    expect(await again.sync()).toMatchObject({ added: 0, removed: 0, replaced: 0, refitted: null, rebuilt: null, unchanged: chunks });
    expect(warnings()).toEqual([]);
    // Deterministic: fitting the same store again gives the same model.
    const refit = LsaEmbedder.fit(store.chunkTexts(0, 10_000).map(chunkEmbeddingText), { dimension: 32 });
    expect(refit.id).toBe(report.embedderId);
  });

  it('follows small changes incrementally and refits once the store has drifted', async () => {
    const v = await vectors(0);
    const fitted = (await v.sync()).embedderId;
    // 10 more abstracts: well under the 25 % drift, so the same model embeds them.
    await ingest(store, { source: 'more', paths: [copyPubmedSample(tmp.dir, 10, 100)], format: 'pubmedqa' });
    const small = await v.sync();
    expect(small).toMatchObject({ refitted: null, rebuilt: null, removed: 0, embedderId: fitted, count: store.countChunks() });
    expect(small.added).toBeGreaterThan(0);
    expect(logs.some(([, m]) => /Vector index updated: \d+ added/.test(m))).toBe(true);

    // Removing the PubMed source takes away far more than a quarter of the fitted chunks.
    store.removeSource('pubmed');
    const chunk = store.getChunksByExternalId('GHR_0000010_Sec1')[0]!;
    // Once the new model is fitted, and while its index is built, the old model and graph keep answering.
    let during: Promise<VectorSearchResult> | undefined;
    onLog = (m) => {
      if (m.startsWith('Fitted LSA embedder')) during = v.searcher.search(chunkEmbeddingText(chunk), 3);
    };
    const big = await v.sync();
    onLog = undefined;
    expect((await during!).hits[0]?.chunkId).toBe(chunk.chunkId);
    expect((await v.searcher.search(chunkEmbeddingText(chunk), 3)).hits[0]?.chunkId).toBe(chunk.chunkId);
    expect(big.refitted).toMatch(/store changed by \d+% of its chunks/);
    expect(big.embedderId).not.toBe(fitted);
    expect(big.count).toBe(store.countChunks());
    expect(warnings().some((m) => m.includes('will be rebuilt') && m.includes(fitted!))).toBe(true);
    const status = await readVectorIndexStatus({ dataDir, store });
    expect(status).toMatchObject({ inStep: true, problem: null, storeChunks: store.countChunks() });
    expect(status.index).toMatchObject({ embedderId: big.embedderId, dimension: 32, count: store.countChunks(), m: 16, efSearch: 128 });
    expect(status.lsa?.modelId).toBe(big.embedderId);
  });

  it('repairs an index that fell out of step while closed, with a log line', async () => {
    await ingest(store, { source: 'more', paths: [copyPubmedSample(tmp.dir, 10, 100)], format: 'pubmedqa' });
    const v = await vectors();
    await v.sync();
    v.close();
    const removed = store.removeSource('more');
    expect((await readVectorIndexStatus({ dataDir, store })).problem).toMatch(/holds \d+ vectors for \d+ chunks/);

    logs = [];
    const reopened = await vectors();
    const report = await reopened.sync();
    expect(report).toMatchObject({ removed: removed.chunks, added: 0, refitted: null, rebuilt: null });
    expect(warnings().some((m) => /out of step with the store at open \(0 added, 0 re-embedded, \d+ removed/.test(m))).toBe(true);
    expect((await readVectorIndexStatus({ dataDir, store })).inStep).toBe(true);

    // Told what changed the store (as `galen ingest` does), the same catch-up is an update, not a repair.
    reopened.close();
    await ingest(store, { source: 'more', paths: [copyPubmedSample(tmp.dir, 10, 100)], format: 'pubmedqa' });
    logs = [];
    expect((await (await vectors()).sync({ after: 'ingest of more' })).added).toBe(removed.chunks);
    expect(warnings()).toEqual([]);
    expect(logs.some(([, m]) => /updated after ingest of more: \d+ added/.test(m))).toBe(true);
  });

  it('refits from a corrupted model file and rebuilds on request', async () => {
    const v = await vectors();
    const { embedderId } = await v.sync();
    v.close();
    writeFileSync(join(dataDir, LSA_MODEL_FILE), 'not a model');
    logs = [];
    const reopened = await vectors();
    expect(warnings().some((m) => m.includes(LSA_MODEL_FILE) && m.includes('unusable'))).toBe(true);
    const report = await reopened.sync();
    expect(report.refitted).toBe('no model yet');
    // Refitted on unchanged data: the same model.
    expect(report.embedderId).toBe(embedderId);
    expect(report.count).toBe(store.countChunks());

    const rebuilt = await reopened.rebuild();
    expect(rebuilt).toMatchObject({ refitted: 'a rebuild was requested', count: store.countChunks(), embedderId });
    expect(rebuilt.added).toBe(store.countChunks());
  });

  it('finds nothing, and fails nothing, on an empty store', async () => {
    const empty = KnowledgeStore.open({ dataDir: join(tmp.dir, 'empty') });
    try {
      const v = await openVectorRetrieval({ dataDir: join(tmp.dir, 'empty'), store: empty, logger });
      open.push(v);
      expect(await v.sync()).toMatchObject({ embedderId: null, count: 0, refitted: null });
      for (const q of ['', 'gout', '🙂'.repeat(100), 'x'.repeat(20_000)])
        expect(await v.searcher.search(q, 10, [1, 2])).toEqual({ hits: [], similarities: new Map() });
      expect((await readVectorIndexStatus({ dataDir: join(tmp.dir, 'empty'), store: empty })).problem).toBe('no vector index yet');
    } finally {
      empty.close();
    }
  });
});
