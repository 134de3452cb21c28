import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore, type Authority } from '../../knowledge/index.js';
import { AUTHORITY_WEIGHTS } from '../../retrieval/fusion/index.js';
import { LocalRetrieval, RetrievalPipeline } from '../../retrieval/pipeline/index.js';
import { galen } from '../helpers/cli.js';
import { SHARED_DATA, tempDir } from '../helpers/paths.js';

// Authority weighs in ranking: over the README's corpus the chest-pain question's main evidence is a
// reference, not a ChatDoctor dialogue or disease-table row; on a two-passage store a dialogue that
// matches a little better than a reference ranks below it, and above it when both are references.
const tmp = tempDir('galen-authority-rank-');
const corpusDir = join(tmp.dir, 'corpus');
let corpus: KnowledgeStore;
const CHEST = 'I have crushing chest pain and I am sweating';

// As the README's "Ingest the shared corpus" commands.
const README_SOURCES: Array<[string, string, { license?: string; attribution?: string }]> = [
  ['medquad', 'medquad', {}],
  ['pubmedqa', 'pubmedqa/pqal_abstracts.jsonl', {}],
  ['chatdoctor', 'chatdoctor', {}],
  ['medicalgpt-zh', 'medicalgpt-zh', { license: 'Apache-2.0', attribution: 'MedicalGPT (shibing624)' }],
  ['wikipedia', 'wiki', { license: 'CC BY-SA 4.0', attribution: 'Wikipedia contributors' }],
];

beforeAll(async () => {
  corpus = KnowledgeStore.open({ dataDir: corpusDir });
  for (const [source, path, extra] of README_SOURCES) await ingest(corpus, { source, paths: [join(SHARED_DATA, path)], ...extra });
});

afterAll(() => {
  corpus?.close();
  tmp.cleanup();
});

describe('authority in ranking', () => {
  it('gives the README corpus its default levels', () => {
    expect(Object.fromEntries(corpus.listSources().map((s) => [s.name, s.authority]))).toEqual({
      chatdoctor: 'dialogue',
      'medicalgpt-zh': 'dialogue',
      medquad: 'reference',
      pubmedqa: 'literature',
      wikipedia: 'encyclopedia',
    });
  });

  it('ranks a reference first for the chest-pain question, with ChatDoctor passages behind the references', async () => {
    const { hits } = await new RetrievalPipeline({ store: corpus }).retrieve(CHEST, { k: 10 });
    expect(hits[0]!.source).toBe('medquad');
    expect(hits[0]!.authority).toBe('reference');
    expect(hits[0]!.title).toMatch(/chest pain|heart attack|angina/i);
    const firstDialogue = hits.findIndex((h) => h.authority === 'dialogue');
    expect(hits.slice(0, Math.max(firstDialogue, 3)).every((h) => h.source !== 'chatdoctor')).toBe(true);
    for (const h of hits) expect(h.authority).toBe(corpus.getSource(h.source).authority);
  });

  it('answers the chest-pain question (galen ask) with a reference as its first citation', () => {
    const r = galen(['--data', corpusDir, '--json', 'ask', CHEST], { GALEN_WIKIPEDIA: 'false', GALEN_VECTORS: 'false', GALEN_MODEL: '' });
    expect(r.status, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as { citations: Array<{ n: number; source: string }> };
    const first = answer.citations.find((c) => c.n === 1);
    expect(first?.source).toBe('medquad');
  });

  it('puts a slightly better-matching dialogue below a reference, by the documented multiplier', async () => {
    const order = async (dialogueLevel: Authority) => {
      const dir = join(tmp.dir, `pair-${dialogueLevel}`);
      mkdirSync(dir, { recursive: true });
      const forum = join(dir, 'forum.json');
      writeFileSync(
        forum,
        JSON.stringify([
          { input: 'Doctor, what does zorblax wheezing mean?', output: 'Zorblax wheezing with zorblax cough is zorblax asthma.' },
        ]),
      );
      const notes = join(dir, 'notes.md');
      writeFileSync(notes, '# Zorblax asthma\n\nZorblax asthma causes wheezing and a cough at night.\n');
      const store = KnowledgeStore.open({ dataDir: join(dir, 'data') });
      try {
        await ingest(store, { source: 'forum', paths: [forum], authority: dialogueLevel });
        await ingest(store, { source: 'nih', paths: [notes], authority: 'reference' });
        const { lists } = await new LocalRetrieval({ store }).retrieve('zorblax wheezing', { candidates: 10, sources: ['corpus'] });
        return lists[0]!.hits.map((h) => h.source);
      } finally {
        store.close();
      }
    };
    expect(await order('reference')).toEqual(['forum', 'nih']);
    expect(await order('dialogue')).toEqual(['nih', 'forum']);
    expect(AUTHORITY_WEIGHTS.dialogue).toBeLessThan(AUTHORITY_WEIGHTS.encyclopedia);
    expect(AUTHORITY_WEIGHTS.encyclopedia).toBeLessThan(AUTHORITY_WEIGHTS.reference);
  });
});
