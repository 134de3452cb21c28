import { existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { LsaEmbedder } from '../../model/embedding/index.js';
import {
  chunkEmbeddingText,
  syncVectorIndex,
  VECTOR_INDEX_FILE,
  VECTOR_LABELS_FILE,
  VECTOR_META_FILE,
  VectorIndex,
  VectorIndexError,
  type VectorIndexMeta,
} from '../../retrieval/vector/index.js';
import { copyMedquadSample, copyPubmedSample } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/paths.js';

// Real store (MedQuAD GHR files + PubMed abstracts copied to a temp dir), real LSA, real hnswlib files.
const fixtures = tempDir('galen-vector-fixtures-');
let embedder: LsaEmbedder;
let other: LsaEmbedder;

beforeAll(async () => {
  // The embedder is fitted once on a store of the same data and reused: a model need not be refitted when the store changes.
  const store = KnowledgeStore.open({ dataDir: join(fixtures.dir, 'fit') });
  await ingest(store, { source: 'ghr', paths: [copyMedquadSample(fixtures.dir, 120)] });
  await ingest(store, { source: 'pubmed', paths: [copyPubmedSample(fixtures.dir, 200)], format: 'pubmedqa' });
  const rows = store.db.prepare('SELECT title, section, question, text FROM chunks ORDER BY id').all() as Array<{
    title: string;
    section: string;
    question: string;
    text: string;
  }>;
  store.close();
  embedder = LsaEmbedder.fit(rows.map(chunkEmbeddingText), { dimension: 64 });
  other = LsaEmbedder.fit(rows.map(chunkEmbeddingText), { dimension: 32 });
  return () => fixtures.cleanup();
});

let tmp: ReturnType<typeof tempDir>;
let dataDir: string;
let store: KnowledgeStore;
let medquad: string;
let pubmed: string;
let logs: Array<['info' | 'warn', string]>;
const logger = { info: (m: string) => logs.push(['info', m]), warn: (m: string) => logs.push(['warn', m]) };

beforeEach(async () => {
  tmp = tempDir('galen-vector-');
  dataDir = join(tmp.dir, 'data');
  store = KnowledgeStore.open({ dataDir });
  medquad = copyMedquadSample(tmp.dir, 60);
  pubmed = copyPubmedSample(tmp.dir, 120);
  await ingest(store, { source: 'ghr', paths: [medquad] });
  await ingest(store, { source: 'pubmed', paths: [pubmed], format: 'pubmedqa' });
  logs = [];
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

const chunkIds = () => store.db.prepare('SELECT id FROM chunks ORDER BY id').pluck().all() as number[];
const labels = (index: VectorIndex) => [...index.contentKeys().keys()].sort((a, b) => a - b);
const readMeta = () => JSON.parse(readFileSync(join(dataDir, VECTOR_META_FILE), 'utf8')) as VectorIndexMeta;
const warnings = () => logs.filter(([level]) => level === 'warn').map(([, m]) => m);

async function openSynced(): Promise<VectorIndex> {
  const index = await VectorIndex.open({ dataDir, embedder, logger });
  await syncVectorIndex(store, index, embedder);
  return index;
}

/** The chunk a text was taken from should be the top vector hit for that text. */
async function topHitFor(index: VectorIndex, text: string): Promise<number | undefined> {
  const [vector] = await embedder.embed([text]);
  return index.search(vector!, 5)[0]?.chunkId;
}

describe('vector index', () => {
  it('builds from the store, persists beside it and reloads without rebuilding', async () => {
    // inlineBuildLimit 0: built in the worker thread, as a corpus of any size is.
    const index = await VectorIndex.open({ dataDir, embedder, logger, inlineBuildLimit: 0 });
    expect(index.rebuildReason).toBe('no vector index yet');
    const report = await syncVectorIndex(store, index, embedder);
    expect(report).toMatchObject({
      added: chunkIds().length,
      removed: 0,
      replaced: 0,
      count: chunkIds().length,
      rebuilt: 'no vector index yet',
    });
    expect(labels(index)).toEqual(chunkIds());
    for (const file of [VECTOR_INDEX_FILE, VECTOR_LABELS_FILE, VECTOR_META_FILE]) expect(existsSync(join(dataDir, file))).toBe(true);
    const meta = readMeta();
    expect(meta).toMatchObject({
      embedderId: embedder.id,
      dimension: 64,
      m: 16,
      efConstruction: 200,
      count: chunkIds().length,
      space: 'cosine',
    });
    expect(meta.index.bytes).toBe(statSync(join(dataDir, VECTOR_INDEX_FILE)).size);

    const chunk = store.getChunksByExternalId('GHR_0000010_Sec1')[0]!;
    expect(await topHitFor(index, chunkEmbeddingText(chunk))).toBe(chunk.chunkId);
    const [q] = await embedder.embed(['helicopter transport airway intubation']);
    const before = index.search(q!, 10);
    expect(before.length).toBe(10);
    expect(before[0]!.score).toBeGreaterThan(before[9]!.score);
    index.close();

    logs = [];
    const reopened = await VectorIndex.open({ dataDir, embedder, logger });
    expect(reopened.rebuildReason).toBeNull();
    expect(warnings()).toEqual([]);
    expect(labels(reopened)).toEqual(chunkIds());
    expect(reopened.search(q!, 10)).toEqual(before);
    // In step already: a sync changes nothing and does not rewrite the files.
    const again = await syncVectorIndex(store, reopened, embedder);
    expect(again).toMatchObject({ added: 0, removed: 0, replaced: 0, unchanged: chunkIds().length, rebuilt: null });
    expect(readMeta().updatedAt).toBe(meta.updatedAt);
    reopened.close();
  });

  it('follows a refresh (edited and deleted files) and a removed source', async () => {
    const index = await openSynced();
    const before = chunkIds();
    const xml = readFileSync(join(medquad, '0000002.xml'), 'utf8');
    writeFileSync(
      join(medquad, '0000002.xml'),
      xml.replace(/(<QAPair pid="1">[\s\S]*?<Answer>)/, '$1Zebrafish quokka marker sentence added by the test. '),
    );
    rmSync(join(medquad, '0000003.xml'));
    const refresh = await ingest(store, { source: 'ghr', paths: [medquad] });
    expect(refresh).toMatchObject({ updated: 1, removed: 1 });

    const report = await syncVectorIndex(store, index, embedder);
    const after = new Set(chunkIds());
    expect(report.added).toBe([...after].filter((id) => !before.includes(id)).length);
    expect(report.added).toBeGreaterThan(0);
    expect(report.removed).toBe(before.filter((id) => !after.has(id)).length);
    expect(report.removed).toBeGreaterThan(report.added); // a whole document went
    expect(labels(index)).toEqual(chunkIds());
    const edited = store.getChunksByExternalId('GHR_0000002_Sec1')[0]!;
    expect(await topHitFor(index, chunkEmbeddingText(edited))).toBe(edited.chunkId);

    const removed = store.removeSource('pubmed');
    const afterRemove = await syncVectorIndex(store, index, embedder);
    expect(afterRemove.removed).toBe(removed.chunks);
    expect(labels(index)).toEqual(chunkIds());
    // Removed chunks are never returned.
    const [q] = await embedder.embed(['helicopter transport airway intubation']);
    const live = new Set(chunkIds());
    expect(index.search(q!, 50).every((h) => live.has(h.chunkId))).toBe(true);
    index.close();

    const reopened = await VectorIndex.open({ dataDir, embedder, logger });
    expect(reopened.rebuildReason).toBeNull();
    expect(labels(reopened)).toEqual(chunkIds());
    reopened.close();
  });

  it('notices a row id that SQLite reused for a different chunk', async () => {
    const index = await openSynced();
    // PubMed was ingested last, so its chunks hold the highest row ids; SQLite hands them out again.
    const oldIds = store.db
      .prepare(
        "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id JOIN sources s ON s.id = d.source_id WHERE s.name = 'pubmed'",
      )
      .pluck()
      .all() as number[];
    store.removeSource('pubmed');
    const wiki = join(tmp.dir, 'notes');
    mkdirSync(wiki);
    writeFileSync(
      join(wiki, 'quokka.md'),
      '# Quokka bites\n\nA quokka bite rarely needs antibiotics; wash the wound with soap and water.\n',
    );
    await ingest(store, { source: 'notes', paths: [wiki] });
    const note = store.db.prepare("SELECT c.id FROM chunks c WHERE c.title LIKE '%Quokka%'").pluck().get() as number;
    expect(oldIds).toContain(note);

    const report = await syncVectorIndex(store, index, embedder);
    expect(report.replaced).toBeGreaterThanOrEqual(1);
    expect(labels(index)).toEqual(chunkIds());
    const [q] = await embedder.embed(['wash the wound with soap and water']);
    expect(index.search(q!, 3).map((h) => h.chunkId)).toContain(note);
    index.close();
  });

  it('compacts the graph once too many elements are only marked deleted', async () => {
    const index = await VectorIndex.open({ dataDir, embedder, logger, maxDeletedRatio: 0.1, inlineBuildLimit: 0 });
    await syncVectorIndex(store, index, embedder);
    const total = index.count;
    store.removeSource('pubmed');
    await syncVectorIndex(store, index, embedder);
    expect(logs.some(([, m]) => m.includes('compacted'))).toBe(true);
    expect(readMeta().elements).toBe(readMeta().count);
    expect(readMeta().count).toBeLessThan(total);
    expect(labels(index)).toEqual(chunkIds());
    const chunk = store.getChunksByExternalId('GHR_0000010_Sec1')[0]!;
    expect(await topHitFor(index, chunkEmbeddingText(chunk))).toBe(chunk.chunkId);
    index.close();
  });

  const damage: Array<[string, () => void]> = [
    [
      'an overwritten index file',
      () => {
        const file = join(dataDir, VECTOR_INDEX_FILE);
        const bytes = readFileSync(file);
        bytes.fill(0x5a, 100, 4000);
        writeFileSync(file, bytes);
      },
    ],
    ['a truncated index file', () => truncateSync(join(dataDir, VECTOR_INDEX_FILE), 1000)],
    ['a missing index file', () => rmSync(join(dataDir, VECTOR_INDEX_FILE))],
    ['a missing labels file', () => rmSync(join(dataDir, VECTOR_LABELS_FILE))],
    ['a missing meta file', () => rmSync(join(dataDir, VECTOR_META_FILE))],
    ['a garbage meta file', () => writeFileSync(join(dataDir, VECTOR_META_FILE), '{"format": "galen-vectors", ')],
    [
      'an index file of another build',
      () => {
        const meta = readMeta();
        writeFileSync(join(dataDir, VECTOR_META_FILE), JSON.stringify({ ...meta, count: meta.count + 1 }));
      },
    ],
  ];
  for (const [what, harm] of damage) {
    it(`rebuilds, with a warning, from ${what}`, async () => {
      (await openSynced()).close();
      harm();
      logs = [];
      const index = await VectorIndex.open({ dataDir, embedder, logger });
      expect(index.rebuildReason).not.toBeNull();
      expect(warnings().length).toBe(1);
      expect(index.search((await embedder.embed(['gene']))[0]!, 5)).toEqual([]);
      const reason = index.rebuildReason;
      const report = await syncVectorIndex(store, index, embedder);
      expect(report.rebuilt).toBe(reason);
      expect(report.added).toBe(chunkIds().length);
      expect(labels(index)).toEqual(chunkIds());
      index.close();
      logs = [];
      const reopened = await VectorIndex.open({ dataDir, embedder, logger });
      expect(reopened.rebuildReason).toBeNull();
      expect(warnings()).toEqual([]);
      reopened.close();
    });
  }

  it('checks only sizes when told not to verify checksums, still refusing a truncated file', async () => {
    (await openSynced()).close();
    // A meta file naming another hash, as if the index bytes had changed at the same size: only hashing tells.
    const meta = readMeta();
    writeFileSync(join(dataDir, VECTOR_META_FILE), JSON.stringify({ ...meta, index: { ...meta.index, sha256: '0'.repeat(64) } }));
    const trusting = await VectorIndex.open({ dataDir, embedder, logger, verifyChecksums: false });
    expect(trusting.rebuildReason).toBeNull();
    expect(trusting.count).toBe(chunkIds().length);
    trusting.close();
    const checking = await VectorIndex.open({ dataDir, embedder, logger });
    expect(checking.rebuildReason).toMatch(/checksum/);
    checking.close();
    truncateSync(join(dataDir, VECTOR_INDEX_FILE), 1000);
    const truncated = await VectorIndex.open({ dataDir, embedder, logger, verifyChecksums: false });
    expect(truncated.rebuildReason).toMatch(/checksum/);
    truncated.close();
  });

  it('rebuilds for another embedder (id and dimension) and refuses a sync with the wrong one', async () => {
    (await openSynced()).close();
    const index = await VectorIndex.open({ dataDir, embedder: other, logger });
    expect(warnings()[0]).toContain(embedder.id);
    await expect(syncVectorIndex(store, index, embedder)).rejects.toMatchObject({ code: 'EMBEDDER_MISMATCH' });
    const report = await syncVectorIndex(store, index, other);
    expect(report.added).toBe(chunkIds().length);
    expect(readMeta()).toMatchObject({ embedderId: other.id, dimension: 32 });
    expect(() => index.search(new Float32Array(64), 5)).toThrow(VectorIndexError);
    index.close();
  });

  it('warms its stored vectors without changing a similarity, and stops when closed', async () => {
    const index = await openSynced();
    const [vector] = await embedder.embed(['Which genes are related to Alport syndrome?']);
    const all = labels(index);
    const cold = await VectorIndex.open({ dataDir, embedder, logger });
    await index.warm();
    expect(index.similarities(vector!, all)).toEqual(cold.similarities(vector!, all));
    expect(index.similarities(vector!, all).size).toBe(all.length);
    const closing = cold.warm();
    cold.close();
    await expect(closing).resolves.toBeUndefined();
    index.close();
  });

  it('answers hostile queries without failing', async () => {
    const index = await openSynced();
    const queries = [
      '',
      '   ',
      'x'.repeat(10_000),
      'fever '.repeat(2_000),
      '🤒🤧💉',
      '糖尿病的症状是什么？',
      '\u0000\ud800',
      '" OR 1=1; --',
    ];
    const vectors = await embedder.embed(queries);
    for (const [i, vector] of vectors.entries()) {
      for (const k of [1, 10, 1000, 0, -5, Number.NaN, 1e9]) {
        const hits = index.search(vector, k);
        expect(Array.isArray(hits), `query ${i}, k ${k}`).toBe(true);
        for (const h of hits) expect(Number.isFinite(h.score)).toBe(true);
      }
    }
    expect(index.search(vectors[0]!, 10)).toEqual([]); // an empty query has the zero vector: nothing is similar
    expect(index.search(vectors[3]!, 10).length).toBe(10);
    expect(index.search(new Float32Array(64).fill(Number.NaN), 10)).toEqual([]);
    index.close();
  });
});
