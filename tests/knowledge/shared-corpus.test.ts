import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore, LexicalSearch, type IngestReport } from '../../knowledge/index.js';
import { SHARED_DATA, tempDir } from '../helpers/paths.js';

// Ingests all of ../shared/data once into a temporary store and checks it against the files,
// read here with code independent of the parsers under test.
const tmp = tempDir();
let store: KnowledgeStore;
let search: LexicalSearch;
const reports: Record<string, IngestReport> = {};

const SOURCES: Array<[string, string, { license?: string; attribution?: string }]> = [
  ['medquad', 'medquad', {}],
  ['pubmedqa', 'pubmedqa', {}],
  ['chatdoctor', 'chatdoctor', {}],
  ['medicalgpt-zh', 'medicalgpt-zh', {}],
  ['wikipedia', 'wiki', { license: 'CC BY-SA 4.0', attribution: 'Wikipedia contributors' }],
];

beforeAll(async () => {
  store = KnowledgeStore.open({ dataDir: tmp.dir });
  search = new LexicalSearch(store);
  for (const [source, dir, extra] of SOURCES) {
    reports[source] = await ingest(store, { source, paths: [join(SHARED_DATA, dir)], ...extra });
  }
});

afterAll(() => {
  store?.close();
  tmp.cleanup();
});

/** Answered QA pairs of the MedQuAD XML, keyed `<source>_<id>_Sec<pid>`, by regular expressions. */
function medquadAnsweredPairs(): Map<string, string> {
  const root = join(SHARED_DATA, 'medquad');
  const pairs = new Map<string, string>();
  for (const folder of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const name of readdirSync(join(root, folder.name)).filter((n) => n.endsWith('.xml'))) {
      const xml = readFileSync(join(root, folder.name, name), 'utf8');
      const head = /<(?:Document|doc|DiseaseFile)\s[^>]*>/.exec(xml)?.[0] ?? '';
      const id = /\b(?:id|docid|fid)="([^"]+)"/.exec(head)?.[1];
      const source = /\b(?:source|corpus)="([^"]+)"/.exec(head)?.[1];
      for (const m of xml.matchAll(/<(?:QAPair|pair) pid="(\d+)">([\s\S]*?)<\/(?:QAPair|pair)>/g)) {
        const answer = /<(?:Answer|answer)>([\s\S]*?)<\/(?:Answer|answer)>/.exec(m[2]!)?.[1]?.trim() ?? '';
        if (answer) pairs.set(`${source}_${id}_Sec${m[1]}`, answer);
      }
    }
  }
  return pairs;
}

describe('ingesting all of ../shared/data', () => {
  it('reads every MedQuAD file and reports no rejection', () => {
    const r = reports.medquad!;
    expect(r.rejected).toBe(0);
    expect(r.formats.medquad).toBe(11274);
    expect(r.formats['medquad-csv']).toBe(1);
    expect(r.skippedFiles).toBe(2); // LICENSE.txt and readme.txt
  });

  it('makes every MedQuAD answer with text a chunk under its citation id', () => {
    const pairs = medquadAnsweredPairs();
    expect(pairs.size).toBeGreaterThan(16000);
    const missing = [...pairs.keys()].filter((id) => store.getChunksByExternalId(id).length === 0);
    expect(missing).toEqual([]);
  });

  it('keeps answer-less pairs as question-only records, not empty chunks', () => {
    const doc = [...store.documents('medquad')].find((d) => d.externalId === 'MPlusDrugs_0000001');
    expect(doc).toBeDefined();
    const empty = doc!.sections.filter((s) => s.text === '');
    expect(empty.length).toBeGreaterThan(0);
    expect(empty.every((s) => s.question)).toBe(true);
    for (const s of empty) expect(store.getChunksByExternalId(s.externalId!)).toEqual([]);
    expect(reports.medquad!.questionOnly).toBeGreaterThan(25000);
  });

  it('stores every judged answer under its AnswerID, filling the A.D.A.M. pairs', () => {
    const csv = readFileSync(join(SHARED_DATA, 'medquad', 'judged-answers.csv'), 'utf8');
    const ids = new Set([...csv.matchAll(/^([A-Za-z]+_[\d_]+_Sec\d+)\.txt,/gm)].map((m) => m[1]!));
    expect(ids.size).toBe(1935);
    const missing = [...ids].filter((id) => store.getChunksByExternalId(id).length === 0);
    expect(missing).toEqual([]);
    const [chunk] = store.getChunksByExternalId('ADAM_0003147_Sec1');
    expect(chunk!.title).toBe('Polycystic ovary syndrome');
    expect(chunk!.text).toMatch(/imbalance of female sex hormones/);
    expect(chunk!.license).toBe('CC BY 4.0');
    expect(chunk!.metadata.qtype).toBe('information');
  });

  it('keeps MedQuAD focus, question type, question, CUIs and semantic group', () => {
    const [chunk] = store.getChunksByExternalId('GHR_0000001_Sec1');
    expect(chunk).toMatchObject({ title: 'Aarskog-Scott syndrome', question: 'What is (are) Aarskog-Scott syndrome ?', language: 'en' });
    expect(chunk!.metadata).toMatchObject({ qtype: 'information', pid: '1' });
    const doc = [...store.documents('medquad')].find((d) => d.externalId === 'GHR_0000001')!;
    expect(doc.metadata).toMatchObject({ focus: 'Aarskog-Scott syndrome', cuis: ['C0175701'], semanticGroup: 'Disorders' });
    expect(doc.metadata!.synonyms).toContain('Aarskog syndrome');
  });

  it('has one document per PubMedQA abstract, with its sections', () => {
    const lines = readFileSync(join(SHARED_DATA, 'pubmedqa', 'pqal_abstracts.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(1000);
    expect(reports.pubmedqa!.added).toBe(1000);
    const first = JSON.parse(lines[0]!) as { pmid: string; sections: Array<{ label: string }> };
    const doc = [...store.documents('pubmedqa')].find((d) => d.externalId === `PMID_${first.pmid}`)!;
    expect(doc.sections.map((s) => s.heading?.toUpperCase())).toEqual(first.sections.map((s) => s.label));
    // The dev set is an evaluation file, not a corpus: it is reported, not ingested.
    expect(reports.pubmedqa!.rejections.map((r) => r.path)).toEqual([join(SHARED_DATA, 'pubmedqa', 'pqal_dev.json')]);
  });

  it('reads the ChatDoctor disease tables with their list cells', () => {
    const r = reports.chatdoctor!;
    expect(r.formats['chatdoctor-db']).toBe(3);
    const panic = store.getChunksByExternalId('disease_database_mini:0');
    expect(panic.map((c) => c.text).join(' ')).toMatch(
      /Symptoms of Panic disorder: Anxiety and nervousness; Depression; Shortness of breath/,
    );
    expect(panic.map((c) => c.text).join(' ')).not.toMatch(/\['/);
  });

  it('reads the Chinese corpus and Wikipedia articles', () => {
    expect(reports['medicalgpt-zh']!.added).toBeGreaterThan(1000);
    const wiki = store.getSource('wikipedia');
    expect(wiki.license).toBe('CC BY-SA 4.0');
    expect(wiki.documents).toBeGreaterThan(3000);
  });

  it('changes nothing when the same data is ingested again', async () => {
    const before = store.db.prepare('SELECT MAX(id) AS maxId, COUNT(*) AS n FROM chunks').get();
    const again = await ingest(store, { source: 'medquad', paths: [join(SHARED_DATA, 'medquad')] });
    expect(again).toMatchObject({ added: 0, updated: 0, removed: 0, chunksAdded: 0, chunksRemoved: 0, unchanged: reports.medquad!.added });
    expect(store.db.prepare('SELECT MAX(id) AS maxId, COUNT(*) AS n FROM chunks').get()).toEqual(before);
  });
});

describe('searching the full corpus', () => {
  it('finds MedQuAD answers by their own words', () => {
    const pairs = [...medquadAnsweredPairs().entries()];
    const sample = pairs.filter((_, i) => i % 80 === 0);
    let found = 0;
    for (const [id, answer] of sample) {
      const words = answer
        .replace(/&[a-z]+;/g, ' ')
        .split(/\s+/)
        .slice(0, 25)
        .join(' ');
      const { hits } = search.search(words, { k: 10 });
      if (hits.some((h) => h.externalId === id || h.text === store.getChunksByExternalId(id)[0]?.text)) found++;
    }
    expect(found / sample.length).toBeGreaterThan(0.95);
  });

  it('ranks the right MedQuAD entry first for its question', () => {
    const { hits } = search.search('What causes Polycystic ovary syndrome?', { k: 5 });
    expect(hits[0]!.title.toLowerCase()).toBe('polycystic ovary syndrome');
    expect(hits[0]!.snippet).toMatch(/\*\*Polycystic\*\*/);
  });

  it("adds a subject's own section for the asked kind when it ranks below the candidates, and only then", () => {
    // "What causes Anemia?" searches "anemia" alone: hundreds of anemias rank above the Anemia document's causes section.
    const plain = search.search('What causes Anemia?', { k: 100, snippets: false }).hits;
    expect(plain).toHaveLength(100);
    expect(plain.some((h) => h.externalId === 'NHLBI_0000002_Sec3')).toBe(false);
    const titled = search.search('What causes Anemia?', {
      k: 100,
      snippets: false,
      titled: { names: ['anemia'], qtypes: ['causes'] },
    }).hits;
    expect(titled.slice(0, 100).map((h) => h.chunkId)).toEqual(plain.map((h) => h.chunkId));
    const added = titled.slice(100);
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((h) => h.externalId === 'NHLBI_0000002_Sec3' || h.title.toLowerCase() === 'anemia')).toBe(true);
    expect(added.some((h) => h.externalId === 'NHLBI_0000002_Sec3')).toBe(true);
    for (let i = 1; i < added.length; i++) expect(added[i - 1]!.score).toBeGreaterThanOrEqual(added[i]!.score);
    // A section of the subject already among the candidates: nothing is added.
    const present = plain.find((h) => h.title === 'Anemia' && h.question.startsWith('How to diagnose'));
    expect(present).toBeDefined();
    expect(
      search.search('What causes Anemia?', { k: 100, snippets: false, titled: { names: ['Anemia'], qtypes: ['exams and tests'] } }).hits,
    ).toHaveLength(100);
  });

  it('ranks the same without snippets, leaving them empty', () => {
    for (const q of ['What causes Polycystic ovary syndrome?', '白带增多发黄怎么个情况', '肝']) {
      const withSnippets = search.search(q, { k: 10 }).hits;
      const without = search.search(q, { k: 10, snippets: false }).hits;
      expect(without.map((h) => h.chunkId)).toEqual(withSnippets.map((h) => h.chunkId));
      expect(withSnippets.some((h) => h.snippet.length > 0)).toBe(true);
      expect(without.every((h) => h.snippet === '')).toBe(true);
    }
  });

  it('finds Chinese text from Chinese queries, short ones included', () => {
    const long = search.search('白带增多发黄怎么个情况', { k: 5 });
    expect(long.hits[0]!.source).toBe('medicalgpt-zh');
    expect(long.hits[0]!.title).toContain('白带增多');
    for (const q of ['肝炎', '肝']) {
      const { hits } = search.search(q, { k: 5 });
      expect(hits.length).toBe(5);
      for (const h of hits) expect(`${h.title}${h.question}${h.text}`).toContain(q);
    }
  });

  it('filters by source', () => {
    const { hits } = search.search('asthma inhaler', { k: 10, sources: ['wikipedia'] });
    expect(hits.length).toBe(10);
    expect(new Set(hits.map((h) => h.source))).toEqual(new Set(['wikipedia']));
  });

  it('answers hostile queries normally', () => {
    const hostile = [
      '',
      ' ',
      '"',
      '""',
      "'",
      'AND',
      'OR',
      'NOT',
      'NEAR',
      'NEAR(asthma inhaler, 2)',
      '*',
      'asthma*',
      '-asthma',
      '(',
      ')',
      'asthma OR',
      'AND asthma',
      '^asthma',
      'title:asthma',
      '{title text}: asthma',
      'a"b"c',
      '🙂💊🩺',
      '\u0000\u0001',
      "'; DROP TABLE chunks; --",
      'x'.repeat(10_000),
      'asthma '.repeat(1_500),
      'the of and is a',
      'é́́́́',
      '\u202e',
      Array.from({ length: 1500 }, (_, i) => `w${i}`).join(' '),
    ];
    for (const q of hostile) {
      const result = search.search(q, { k: 10 });
      expect(Array.isArray(result.hits)).toBe(true);
    }
    expect(search.search('NEAR(asthma inhaler, 2)').hits.length).toBeGreaterThan(0);
    expect(search.search('').hits).toEqual([]);
    expect(store.countChunks()).toBeGreaterThan(50_000);
  });
});
