import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingest, KnowledgeError, KnowledgeStore } from '../../knowledge/index.js';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/paths.js';

// The listing APIs derived indexes (vectors, query synonyms) read instead of the store's schema.
let tmp: ReturnType<typeof tempDir>;
let store: KnowledgeStore;
beforeEach(async () => {
  tmp = tempDir();
  store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  await ingest(store, { source: 'ghr', paths: [copyMedquadSample(tmp.dir, 5)] });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('chunk listings', () => {
  it('lists every chunk id with a content key that changes with the chunk', async () => {
    const before = [...store.chunkKeys()];
    expect(before.length).toBe(store.countChunks());
    expect(before.map((c) => c.chunkId)).toEqual([...before.map((c) => c.chunkId)].sort((a, b) => a - b));
    expect(new Set(before.map((c) => c.contentKey)).size).toBe(before.length);

    writeFileSync(join(tmp.dir, 'notes.md'), '# Gout\n\nUric acid crystals.\n');
    await ingest(store, { source: 'notes', paths: [join(tmp.dir, 'notes.md')] });
    const noteKey = [...store.chunkKeys()].at(-1)!.contentKey;
    writeFileSync(join(tmp.dir, 'notes.md'), '# Gout\n\nUric acid crystals in joints.\n');
    await ingest(store, { source: 'notes', paths: [join(tmp.dir, 'notes.md')] });
    expect([...store.chunkKeys()].at(-1)!.contentKey).not.toBe(noteKey);
    const after = new Map([...store.chunkKeys()].map((c) => [c.chunkId, c.contentKey]));
    for (const c of before) expect(after.get(c.chunkId)).toBe(c.contentKey);
    expect(after.size).toBe(before.length + 1);
  });

  it('pages chunk texts in id order without gaps or repeats', () => {
    const seen: number[] = [];
    for (let page = store.chunkTexts(0, 7); page.length; page = store.chunkTexts(page.at(-1)!.chunkId, 7)) {
      expect(page.length).toBeLessThanOrEqual(7);
      for (const c of page) {
        expect(Object.keys(c).sort()).toEqual(['chunkId', 'question', 'section', 'text', 'title']);
        expect(c.text.length).toBeGreaterThan(0);
        seen.push(c.chunkId);
      }
    }
    expect(seen).toEqual([...store.chunkKeys()].map((c) => c.chunkId));
    expect(store.chunkTexts(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    for (const bad of [0, -1, 1.5, 10_001]) expect(() => store.chunkTexts(0, bad)).toThrow(KnowledgeError);
    expect(() => store.chunkTexts(Number.NaN, 5)).toThrow(/afterId/);
  });

  it('pages every chunk text with allChunkTexts, as chunkTexts pages them', () => {
    const byHand: number[][] = [];
    for (let page = store.chunkTexts(0, 7); page.length; page = store.chunkTexts(page.at(-1)!.chunkId, 7))
      byHand.push(page.map((c) => c.chunkId));
    const pages = [...store.allChunkTexts(7)];
    expect(pages.map((p) => p.map((c) => c.chunkId))).toEqual(byHand);
    expect(pages.every((p) => p.length > 0 && p.length <= 7)).toBe(true);
    expect([...store.allChunkTexts()].flat()).toEqual(pages.flat());
    expect(() => [...store.allChunkTexts(0)]).toThrow(KnowledgeError);
  });

  it('lists MedQuAD subjects with their synonyms', () => {
    const subjects = store.focusSynonyms();
    const aarskog = subjects.find((s) => s.focus === 'Aarskog-Scott syndrome');
    expect(aarskog?.synonyms).toContain('Aarskog syndrome');
    for (const s of subjects) expect(s.synonyms.every((x) => typeof x === 'string' && x.length > 0)).toBe(true);
  });
});
