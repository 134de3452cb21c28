import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore, LexicalSearch } from '../../knowledge/index.js';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/paths.js';

let tmp: ReturnType<typeof tempDir>;
let store: KnowledgeStore;
let folder: string;

beforeEach(() => {
  tmp = tempDir();
  store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  folder = copyMedquadSample(tmp.dir, 30);
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

function chunkRows() {
  return store.db.prepare('SELECT c.id, c.external_id, c.text FROM chunks c ORDER BY c.id').all() as Array<{
    id: number;
    external_id: string;
    text: string;
  }>;
}

describe('refreshing a source', () => {
  it('updates an edited document alone and keeps the row ids of its unchanged chunks', async () => {
    const first = await ingest(store, { source: 'ghr', paths: [folder] });
    expect(first).toMatchObject({ added: 30, updated: 0, removed: 0 });
    const before = chunkRows();

    const file = join(folder, '0000002.xml');
    const xml = readFileSync(file, 'utf8');
    const edited = xml.replace(/(<QAPair pid="1">[\s\S]*?<Answer>)/, '$1Zebrafish-marker sentence added by the test. ');
    expect(edited).not.toBe(xml);
    writeFileSync(file, edited);

    const second = await ingest(store, { source: 'ghr', paths: [folder] });
    expect(second).toMatchObject({ added: 0, updated: 1, unchanged: 29, removed: 0 });
    expect(second.chunksAdded).toBeGreaterThanOrEqual(1);
    expect(second.chunksAdded).toBe(second.chunksRemoved);

    const after = chunkRows();
    const changedIds = new Set(before.filter((b) => !after.some((a) => a.id === b.id)).map((b) => b.external_id));
    expect([...changedIds].every((id) => id.startsWith('GHR_0000002_'))).toBe(true);
    const { hits } = new LexicalSearch(store).search('zebrafish marker sentence');
    expect(hits[0]!.externalId).toBe('GHR_0000002_Sec1');
  });

  it('removes a document whose file disappeared, and nothing else', async () => {
    await ingest(store, { source: 'ghr', paths: [folder] });
    const gone = store.getChunksByExternalId('GHR_0000003_Sec1');
    expect(gone.length).toBeGreaterThan(0);
    rmSync(join(folder, '0000003.xml'));
    const report = await ingest(store, { source: 'ghr', paths: [folder] });
    expect(report).toMatchObject({ added: 0, updated: 0, unchanged: 29, removed: 1 });
    expect(store.getChunksByExternalId('GHR_0000003_Sec1')).toEqual([]);
    expect(store.getSource('ghr').documents).toBe(29);
  });

  it('keeps documents of a file that became unreadable, and says so', async () => {
    await ingest(store, { source: 'ghr', paths: [folder] });
    writeFileSync(join(folder, '0000004.xml'), '<?xml version="1.0"?><Document id="0000004" source="GHR"><Focus>broken');
    const report = await ingest(store, { source: 'ghr', paths: [folder] });
    expect(report).toMatchObject({ removed: 0, kept: 1, rejected: 1 });
    expect(report.rejections[0]!.path).toBe(join(folder, '0000004.xml'));
    expect(store.getSource('ghr').documents).toBe(30);
  });

  it('keeps sources apart, and remove deletes one source entirely', async () => {
    await ingest(store, { source: 'a', paths: [folder] });
    await ingest(store, { source: 'b', paths: [join(folder, '0000001.xml')] });
    expect(store.listSources().map((s) => [s.name, s.documents])).toEqual([
      ['a', 30],
      ['b', 1],
    ]);
    const removed = store.removeSource('a');
    expect(removed.documents).toBe(30);
    expect(store.listSources().map((s) => s.name)).toEqual(['b']);
    const leftovers = store.db.prepare('SELECT COUNT(*) AS n FROM sections').get() as { n: number };
    expect(leftovers.n).toBe(store.getSource('b').sections);
    expect(new LexicalSearch(store).search('Aarskog').hits.every((h) => h.source === 'b')).toBe(true);
    expect(() => store.removeSource('a')).toThrow(/No source named "a"/);
  });
});
