import BetterSqlite3 from 'better-sqlite3';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingest, KnowledgeError, KnowledgeStore, LexicalSearch, SCHEMA_VERSION, STORE_FILE } from '../../knowledge/index.js';
import { SHARED_DATA, tempDir } from '../helpers/paths.js';

// Each source's authority level: defaulted by the formats read, set by the operator, kept across
// refreshes, carried by every chunk and hit, and given to the sources of a store made before it existed.
let tmp: ReturnType<typeof tempDir>;
let store: KnowledgeStore;

beforeEach(() => {
  tmp = tempDir('galen-authority-');
  store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

function file(name: string, text: string): string {
  const path = join(tmp.dir, 'in', name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const dialogue = (i: number) =>
  JSON.stringify({ instruction: 'Answer as a doctor.', input: `Doctor, my knee hurts after running ${i}.`, output: `Rest the knee ${i}.` });
const authorityOf = (name: string) => store.getSource(name).authority;

describe('source authority', () => {
  it('defaults by format: MedQuAD reference, PubMedQA literature, dialogues dialogue, the disease table and plain files encyclopedia', async () => {
    const medquad = join(tmp.dir, 'in', 'medquad', '0000001.xml');
    mkdirSync(join(medquad, '..'), { recursive: true });
    copyFileSync(join(SHARED_DATA, 'medquad', '3_GHR_QA', '0000001.xml'), medquad);
    const pubmed = file(
      'pqal.jsonl',
      `${JSON.stringify({ pmid: '123', year: '2001', meshes: ['Knee'], sections: [{ label: 'RESULTS', text: 'Knee pain fell.' }] })}\n`,
    );
    const talk = file('dialogues.json', `[${dialogue(1)}]`);
    const notes = file('notes.md', '# Knee care\n\nRest and ice help a sore knee.\n');
    await ingest(store, { source: 'medquad', paths: [medquad] });
    await ingest(store, { source: 'pubmedqa', paths: [pubmed], format: 'pubmedqa' });
    await ingest(store, { source: 'talk', paths: [talk] });
    await ingest(store, { source: 'table', paths: [join(SHARED_DATA, 'chatdoctor', 'disease_symptom.csv')] });
    await ingest(store, { source: 'notes', paths: [notes] });
    expect(Object.fromEntries(store.listSources().map((s) => [s.name, s.authority]))).toEqual({
      medquad: 'reference',
      pubmedqa: 'literature',
      talk: 'dialogue',
      table: 'encyclopedia',
      notes: 'encyclopedia',
    });
  });

  it('gives a source that mixes formats the level of its least authoritative one (ChatDoctor: table and dialogues)', async () => {
    const dir = join(tmp.dir, 'in', 'chatdoctor');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(SHARED_DATA, 'chatdoctor', 'disease_symptom.csv'), join(dir, 'disease_symptom.csv'));
    writeFileSync(join(dir, 'dialogues.json'), `[${dialogue(1)}]`);
    const report = await ingest(store, { source: 'chatdoctor', paths: [dir] });
    expect(report.formats).toEqual({ 'chatdoctor-db': 1, dialogues: 1 });
    expect(report.authority).toBe('dialogue');
    expect(authorityOf('chatdoctor')).toBe('dialogue');
  });

  it("takes the operator's level, keeps it on a later ingest and a refresh, and changes it when told", async () => {
    const talk = file('talk.json', `[${dialogue(1)}]`);
    expect((await ingest(store, { source: 'clinic', paths: [talk], authority: 'reference' })).authority).toBe('reference');
    writeFileSync(talk, `[${dialogue(1)},${dialogue(2)}]`);
    await ingest(store, { source: 'clinic', paths: [talk] });
    expect(authorityOf('clinic')).toBe('reference');
    const source = store.getSource('clinic');
    await ingest(store, { source: 'clinic', paths: source.paths, authority: source.authority });
    expect(authorityOf('clinic')).toBe('reference');
    await ingest(store, { source: 'clinic', paths: [talk], authority: 'dialogue' });
    expect(authorityOf('clinic')).toBe('dialogue');
  });

  it('refuses an unknown level before writing anything', async () => {
    const talk = file('talk.json', `[${dialogue(1)}]`);
    const attempt = ingest(store, { source: 'clinic', paths: [talk], authority: 'gospel' as 'reference' });
    await expect(attempt).rejects.toThrow(KnowledgeError);
    await expect(attempt).rejects.toThrow(/Unknown authority "gospel"; use one of reference, literature, encyclopedia, dialogue/);
    expect(store.listSources()).toEqual([]);
  });

  it('is on every chunk and search hit, as its source says', async () => {
    await ingest(store, { source: 'talk', paths: [file('talk.json', `[${dialogue(1)}]`)] });
    await ingest(store, {
      source: 'notes',
      paths: [file('knee.md', '# Knee\n\nA sore knee after running needs rest.\n')],
      authority: 'reference',
    });
    const hits = new LexicalSearch(store).search('knee running', { k: 10 }).hits;
    expect(hits.map((h) => [h.source, h.authority]).sort()).toEqual([
      ['notes', 'reference'],
      ['talk', 'dialogue'],
    ]);
    expect(store.getChunks(hits.map((h) => h.chunkId)).map((c) => c.authority)).toEqual(hits.map((h) => h.authority));
  });

  it('classes the sources of a store made before authority existed by their format, name and attribution', async () => {
    const talk = file('talk.json', `[${dialogue(1)}]`);
    const notes = file('notes.md', '# Knee\n\nRest.\n');
    await ingest(store, { source: 'medquad', paths: [notes], format: 'markdown' });
    await ingest(store, { source: 'pubmed-abstracts', paths: [notes], format: 'markdown' });
    await ingest(store, { source: 'forum', paths: [talk], format: 'dialogues' });
    await ingest(store, { source: 'cd', paths: [notes], format: 'markdown', attribution: 'ChatDoctor, Li et al.' });
    await ingest(store, { source: 'wikipedia', paths: [notes], format: 'markdown', authority: 'dialogue' });
    store.close();
    // Back to the schema before authority: the column and its migration record gone.
    const file_ = join(tmp.dir, 'data', STORE_FILE);
    const db = new BetterSqlite3(file_);
    db.exec('ALTER TABLE sources DROP COLUMN authority');
    db.prepare('DELETE FROM schema_migrations WHERE version >= 2').run();
    db.close();

    store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
    const versions = (store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map(
      (r) => r.version,
    );
    expect(versions.at(-1)).toBe(SCHEMA_VERSION);
    expect(Object.fromEntries(store.listSources().map((s) => [s.name, s.authority]))).toEqual({
      cd: 'dialogue',
      forum: 'dialogue',
      medquad: 'reference',
      'pubmed-abstracts': 'literature',
      wikipedia: 'encyclopedia',
    });
  });
});
