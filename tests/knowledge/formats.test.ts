import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chunkDocument, ingest, KnowledgeStore, LexicalSearch } from '../../knowledge/index.js';
import { parsePythonStringList } from '../../knowledge/ingest/formats/python-list.js';
import { splitHeadings } from '../../knowledge/ingest/text-structure.js';
import { tempDir } from '../helpers/paths.js';

describe('chunking', () => {
  const sentence = (i: number) => `Sentence number ${i} says something about hypertension and its care.`;
  const long = Array.from({ length: 80 }, (_, i) => sentence(i)).join(' ');

  it('keeps short sections whole and never mixes sections', () => {
    const chunks = chunkDocument({
      externalId: 'd',
      title: 'T',
      sections: [{ text: 'One.' }, { text: '' }, { heading: 'H', text: 'Two.' }],
    });
    expect(chunks.map((c) => [c.sectionIndex, c.heading, c.text])).toEqual([
      [0, '', 'One.'],
      [2, 'H', 'Two.'],
    ]);
  });

  it('cuts long text at sentence ends within the size limit, with overlap', () => {
    const chunks = chunkDocument({ externalId: 'd', title: 'T', sections: [{ text: long }] }, { maxChars: 600, overlapChars: 150 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(600);
      expect(c.text).toMatch(/^Sentence number \d+/);
      expect(c.text).toMatch(/care\.$/);
    }
    for (let i = 1; i < chunks.length; i++) {
      const lastOfPrevious = chunks[i - 1]!.text.split(/(?<=\.) /).at(-1)!;
      // The next chunk repeats the previous one's tail (up to 150 characters) before going on.
      expect(chunks[i]!.text.slice(0, 150 + lastOfPrevious.length)).toContain(lastOfPrevious);
    }
    const all = chunks.map((c) => c.text).join(' ');
    for (let i = 0; i < 80; i++) expect(all).toContain(sentence(i));
  });

  it('splits text without spaces (Chinese) and giant words too', () => {
    const zh = '高血压是一种常见的慢性病。'.repeat(300);
    const chunks = chunkDocument({ externalId: 'z', title: '高血压', sections: [{ text: zh }] }, { maxChars: 500 });
    expect(chunks.length).toBeGreaterThan(6);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(500);
    const word = chunkDocument({ externalId: 'w', title: 'w', sections: [{ text: 'x'.repeat(2000) }] }, { maxChars: 300 });
    expect(word.every((c) => c.text.length <= 300)).toBe(true);
    expect(word.map((c) => c.text).join('')).toBe('x'.repeat(2000));
  });
});

describe('text structure', () => {
  it('turns Markdown, setext and wikitext headings into nested sections', () => {
    const s = splitHeadings(
      '# Asthma\nIntro.\n## Causes\nAllergens.\n### Triggers\nSmoke.\n== Treatment ==\nInhalers.\nDiagnosis\n---------\nSpirometry.',
    );
    expect(s.title).toBe('Asthma');
    expect(s.sections).toEqual([
      { text: 'Intro.' },
      { heading: 'Causes', text: 'Allergens.' },
      { heading: 'Causes › Triggers', text: 'Smoke.' },
      { heading: 'Treatment', text: 'Inhalers.' },
      { heading: 'Diagnosis', text: 'Spirometry.' },
    ]);
  });

  it('parses Python list literals without evaluating them', () => {
    expect(parsePythonStringList(`['Fever', "Crohn's disease", 'a\\'b']`)).toEqual(['Fever', "Crohn's disease", "a'b"]);
    expect(parsePythonStringList('[]')).toEqual([]);
    expect(parsePythonStringList("['unterminated]")).toBeUndefined();
    expect(parsePythonStringList('__import__("os")')).toBeUndefined();
  });
});

describe('file formats', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: KnowledgeStore;
  beforeEach(() => {
    tmp = tempDir();
    store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('reads Markdown and text folders with ids from relative paths and headings as sections', async () => {
    const dir = join(tmp.dir, 'notes');
    mkdirSync(join(dir, 'cardio'), { recursive: true });
    writeFileSync(
      join(dir, 'cardio', 'heart-failure.md'),
      '---\ntags: x\n---\n# Heart failure\n\nThe heart cannot pump enough [blood](http://x).\n\n## Treatment\n\nDiuretics relieve congestion.\n',
    );
    writeFileSync(join(dir, 'gout_notes.txt'), 'Gout is inflammatory arthritis.\n\nUric acid crystals deposit in joints.');
    writeFileSync(
      join(dir, '高血压.txt'),
      '高血压\n=====\n高血压是以体循环动脉压增高为主要特征的临床综合征。\n\n治疗\n----\n降压药物包括利尿剂和钙通道阻滞剂。',
    );
    const report = await ingest(store, { source: 'notes', paths: [dir] });
    expect(report).toMatchObject({ added: 3, rejected: 0 });
    expect(report.formats).toEqual({ markdown: 1, text: 2 });
    const docs = Object.fromEntries([...store.documents('notes')].map((d) => [d.externalId, d]));
    expect(Object.keys(docs).sort()).toEqual(['cardio/heart-failure.md', 'gout_notes.txt', '高血压.txt']);
    expect(docs['cardio/heart-failure.md']!.title).toBe('Heart failure');
    expect(docs['cardio/heart-failure.md']!.sections.map((s) => s.heading ?? '')).toEqual(['', 'Treatment']);
    expect(docs['cardio/heart-failure.md']!.sections[0]!.text).toBe('The heart cannot pump enough blood.');
    expect(docs['gout_notes.txt']!.title).toBe('gout notes');
    expect(docs['高血压.txt']).toMatchObject({ title: '高血压', language: 'zh' });
    const search = new LexicalSearch(store);
    expect(search.search('降压药物').hits[0]!.externalId).toBe('高血压.txt');
    expect(search.search('diuretics').hits[0]).toMatchObject({ externalId: 'cardio/heart-failure.md', section: 'Treatment' });
  });

  it('reads generic JSONL with sections and metadata, and dialogue shapes', async () => {
    const dir = join(tmp.dir, 'json');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'docs.jsonl'),
      [
        JSON.stringify({
          id: 'n1',
          title: 'Note',
          text: 'Plain body about migraine.',
          url: 'https://example.org/n1',
          metadata: { reviewed: true },
          year: 2024,
        }),
        JSON.stringify({
          id: 'n2',
          title: 'Sectioned',
          sections: [
            { externalId: 'n2#a', heading: 'A', text: 'Alpha about anemia.' },
            { externalId: 'n2#q', question: 'Is it?', text: '' },
          ],
        }),
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'chat.json'),
      JSON.stringify([
        { instruction: 'Answer as a doctor.', input: 'I have a rash after penicillin. What is it?', output: 'It may be a drug allergy.' },
      ]),
    );
    writeFileSync(
      join(dir, 'zh.jsonl'),
      `${JSON.stringify({ 问: '感冒了怎么办？', 答: '多喝水，注意休息。' })}\n${JSON.stringify({
        conversations: [
          { from: 'human', value: '头痛' },
          { from: 'gpt', value: '可能是偏头痛。' },
        ],
      })}\n`,
    );
    const report = await ingest(store, { source: 'json', paths: [dir] });
    expect(report).toMatchObject({ added: 5, rejected: 0, questionOnly: 1 });
    expect(report.formats).toEqual({ jsonl: 1, dialogues: 2 });
    const [n1] = store.getChunksByExternalId('n1');
    expect(n1).toMatchObject({ title: 'Note', url: 'https://example.org/n1' });
    const n1doc = [...store.documents('json')].find((d) => d.externalId === 'n1')!;
    expect(n1doc.metadata).toEqual({ reviewed: true, year: 2024 });
    expect(store.getChunksByExternalId('n2#a')).toHaveLength(1);
    expect(store.getChunksByExternalId('n2#q')).toHaveLength(0);
    const rash = new LexicalSearch(store).search('penicillin rash').hits[0]!;
    expect(rash).toMatchObject({ title: 'I have a rash after penicillin.', question: 'I have a rash after penicillin. What is it?' });
    expect(new LexicalSearch(store).search('感冒').hits[0]!.text).toBe('多喝水，注意休息。');
  });
});
