import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import {
  CONSUMER_SETS,
  DEV_SETS,
  evaluateRetrieval,
  EvaluationError,
  formatEvalSet,
  loadEvalSet,
  medquadParaphraseQuestions,
  pubmedqaDevQuestions,
  judgedAnswerQuestions,
  liveQaQuestions,
  scoreRanking,
  splitOf,
  TextbookBm25,
} from '../../retrieval/evaluation/index.js';
import { RetrievalPipeline } from '../../retrieval/pipeline/index.js';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { SHARED_DATA, tempDir } from '../helpers/paths.js';

const tmp = tempDir();
let store: KnowledgeStore;
beforeAll(async () => {
  store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  await ingest(store, { source: 'medquad', paths: [copyMedquadSample(tmp.dir, 30)] });
});
afterAll(() => {
  store.close();
  tmp.cleanup();
});

describe('ranking metrics', () => {
  it('computes recall@k, MRR@10 and nDCG@10, counting repeated ids once', () => {
    const m = scoreRanking(['A', 'A', 'B', 'C', 'D'], ['B', 'D'], [1, 2, 10]);
    // Distinct ranks: A 1, B 2, C 3, D 4.
    expect(m.recall).toEqual({ 1: 0, 2: 0.5, 10: 1 });
    expect(m.mrr10).toBe(0.5);
    expect(m.firstRelevantRank).toBe(2);
    expect(m.ndcg10).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3)), 10);
    expect(m.precision5).toBe(0.4);
    expect(m.top1).toBe(0);
    expect(scoreRanking(['X'], ['B'], [10])).toEqual({
      recall: { 10: 0 },
      mrr10: 0,
      ndcg10: 0,
      precision5: 0,
      top1: 0,
      firstRelevantRank: null,
    });
    expect(scoreRanking(['B'], ['B'], [1]).ndcg10).toBe(1);
    const late = scoreRanking(
      [...'abcdefghijk'].map((c) => c),
      ['k'],
      [10, 50],
    );
    expect(late).toMatchObject({ mrr10: 0, ndcg10: 0, recall: { 10: 0, 50: 1 }, firstRelevantRank: 11 });
  });
});

describe('graded metrics', () => {
  it('scores the first hit by its grade − 1 (unjudged 0) and gains nDCG by grade', () => {
    const grades = { A: 4, B: 3, C: 2, D: 1 };
    const relevant = ['A', 'B'];
    expect(scoreRanking(['A', 'B'], relevant, [1], grades).top1).toBe(3);
    expect(scoreRanking(['C', 'A'], relevant, [1], grades)).toMatchObject({ top1: 1, mrr10: 0.5, precision5: 0.2 });
    expect(scoreRanking(['D', 'A'], relevant, [1], grades).top1).toBe(0);
    expect(scoreRanking(['Z', 'A'], relevant, [1], grades).top1).toBe(0);
    // The ideal order A, B, C gains 3, 2, 1.
    const ideal = 3 + 2 / Math.log2(3) + 1 / Math.log2(4);
    expect(scoreRanking(['A', 'B', 'C'], relevant, [1], grades).ndcg10).toBeCloseTo(1, 10);
    expect(scoreRanking(['C', 'B', 'A'], relevant, [1], grades).ndcg10).toBeCloseTo((1 + 2 / Math.log2(3) + 3 / Math.log2(4)) / ideal, 10);
    // A relevant id of an ungraded question counts as excellent.
    expect(scoreRanking(['A'], ['A'], [1]).top1).toBe(3);
  });
});

describe('consumer question sets', () => {
  it('ship graded LiveQA and CHiQA questions, split dev/heldout by a hash of their id, relevant = graded 3 or 4', async () => {
    const [liveqa, chiqa] = await Promise.all(CONSUMER_SETS.map((f) => loadEvalSet(f)));
    expect(liveqa!.name).toBe('liveqa-consumer');
    expect(chiqa!.name).toBe('chiqa-judged');
    for (const set of [liveqa!, chiqa!]) {
      expect(set.questions.length).toBeGreaterThan(50);
      const dev = set.questions.filter((q) => q.split === 'dev').length;
      expect(dev / set.questions.length).toBeGreaterThan(0.45);
      expect(dev / set.questions.length).toBeLessThan(0.75);
      for (const q of set.questions) {
        expect(q.split).toBe(splitOf(q.id));
        expect(q.relevant).toEqual(
          Object.entries(q.grades!)
            .filter(([, g]) => g >= 3)
            .map(([id]) => id),
        );
        for (const id of Object.keys(q.grades!)) expect(id).toMatch(/^[A-Za-z]+_\d+(_\d+)*_Sec\d+$/);
      }
    }
    expect(liveqa!.questions.every((q) => q.id.startsWith('liveqa'))).toBe(true);
    expect(chiqa!.questions.find((q) => q.id === 'chiqa-alexa-1')).toMatchObject({ question: 'What is Flu?', split: 'dev' });
  });

  it('grades passages by how much of a reference answer they hold, and leaves boilerplate answers out', () => {
    const passages = [
      {
        id: 'D1_Sec1',
        documentId: 'D1',
        text: 'Gout is a form of arthritis caused by too much uric acid in the blood, which forms crystals in the joints.',
      },
      {
        id: 'D1_Sec2',
        documentId: 'D1',
        text: 'Gout is treated with medicines that lower uric acid and with anti-inflammatory drugs during attacks.',
      },
      {
        id: 'D2_Sec1',
        documentId: 'D2',
        text: 'Lupus is an autoimmune disease in which the immune system attacks healthy tissue in many organs.',
      },
      ...[3, 4, 5, 6, 7, 8].map((n) => ({
        id: `D${n}_Sec1`,
        documentId: `D${n}`,
        text: `Condition ${n}. Talk to your doctor before you take any new medicine or supplement while pregnant.`,
      })),
    ];
    const questions = liveQaQuestions(
      [
        {
          id: 'q-gout',
          question: 'what is gout',
          subQuestions: [
            { focus: 'gout', type: 'information', answers: ['Gout is a form of arthritis caused by too much uric acid in the blood.'] },
          ],
        },
        {
          id: 'q-boilerplate',
          question: 'can i take it while pregnant',
          subQuestions: [
            { focus: 'x', type: 'usage', answers: ['Talk to your doctor before you take any new medicine or supplement while pregnant.'] },
          ],
        },
      ],
      passages,
    );
    expect(questions).toEqual([
      { id: 'q-gout', split: splitOf('q-gout'), question: 'what is gout', relevant: ['D1_Sec1'], grades: { D1_Sec1: 4, D1_Sec2: 2 } },
    ]);
    const judged = judgedAnswerQuestions(
      [
        {
          id: 'j1',
          question: 'What is lupus?',
          answers: [
            {
              url: 'u',
              text: 'Lupus (Summary): Lupus is an autoimmune disease in which the immune system attacks healthy tissue.',
              score: 3,
            },
            { url: 'u', text: 'Gout (Treatment): Gout is treated with medicines that lower uric acid.', score: 1 },
          ],
        },
      ],
      passages,
    );
    expect(judged).toEqual([
      { id: 'j1', split: splitOf('j1'), question: 'What is lupus?', relevant: ['D2_Sec1'], grades: { D1_Sec2: 1, D2_Sec1: 3 } },
    ]);
  });
});

describe('textbook BM25', () => {
  it('ranks the chunks of the store by Okapi BM25 over title, question and text', () => {
    const bm25 = TextbookBm25.fromStore(store);
    const [best] = bm25.search('inheritance pattern of achondroplasia', 5);
    expect(best).toBeDefined();
    const [chunk] = store.getChunksByExternalId(best!);
    expect(`${chunk!.title} ${chunk!.question} ${chunk!.text}`.toLowerCase()).toContain('inherit');
    expect(bm25.search('zzzqqq', 5)).toEqual([]);
  });
});

describe('evaluation sets', () => {
  it('ships two well-formed dev sets of 500 questions that match the shared corpus', async () => {
    const [pubmed, medquad] = await Promise.all(DEV_SETS.map((f) => loadEvalSet(f)));
    expect(pubmed!.name).toBe('pubmedqa-dev');
    expect(pubmed!.questions).toHaveLength(500);
    expect(medquad!.questions).toHaveLength(500);
    // The PubMedQA set is exactly what the builder derives from the shared dev file.
    expect(pubmed!.questions).toEqual(await pubmedqaDevQuestions(join(SHARED_DATA, 'pubmedqa', 'pqal_dev.json')));
    const pmids = new Set(
      readFileSync(join(SHARED_DATA, 'pubmedqa', 'pqal_abstracts.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => `PMID_${(JSON.parse(l) as { pmid: string }).pmid}`),
    );
    expect(pubmed!.questions.every((q) => q.relevant.every((id) => pmids.has(id)))).toBe(true);
    for (const q of medquad!.questions) expect(q.relevant.every((id) => /^[A-Za-z]+_\d+(_\d+)*_Sec\d+$/.test(id))).toBe(true);
  });

  it('derives MedQuAD paraphrases deterministically, relevant to every answered section of the subject and type', () => {
    const a = medquadParaphraseQuestions(store, { count: 20 });
    const b = medquadParaphraseQuestions(store, { count: 20 });
    expect(a).toEqual(b);
    expect(a).toHaveLength(20);
    for (const q of a) {
      for (const id of q.relevant) {
        const [chunk] = store.getChunksByExternalId(id);
        expect(chunk).toBeDefined();
        // Re-asked, not copied: the stored question is not the set's question.
        expect(chunk!.question.toLowerCase()).not.toBe(q.question.toLowerCase());
        expect(q.question).toContain(chunk!.title);
      }
    }
  });

  it('refuses missing and malformed set files with their line', async () => {
    await expect(loadEvalSet(join(tmp.dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'SET_NOT_FOUND' });
    const file = join(tmp.dir, 'bad.jsonl');
    for (const [content, message] of [
      ['{"id":"a","question":"q","relevant":["X"]}\nnot json\n', /bad\.jsonl:2: not JSON/],
      ['{"id":"a","question":"q","relevant":[]}\n', /bad\.jsonl:1: relevant/],
      ['{"id":"a","question":"q","relevant":["X"]}\n\n{"id":"a","question":"r","relevant":["Y"]}\n', /bad\.jsonl:3: duplicate id "a"/],
      ['\n\n', /holds no questions/],
    ] as const) {
      writeFileSync(file, content);
      const error = await loadEvalSet(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EvaluationError);
      expect((error as EvaluationError).code).toBe('INVALID_SET');
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('evaluateRetrieval', () => {
  it('scores runs on a set, and counts a failing retrieval as a miss', async () => {
    const questions = medquadParaphraseQuestions(store, { count: 12 });
    const file = join(tmp.dir, 'small.jsonl');
    writeFileSync(file, formatEvalSet(questions));
    const set = await loadEvalSet(file);
    const pipeline = new RetrievalPipeline({ store });
    let calls = 0;
    const report = await evaluateRetrieval(
      set,
      [
        { name: 'bm25', retrieve: async (q) => (await pipeline.retrieve(q, { k: 10, sources: ['corpus'] })).hits.map((h) => h.externalId) },
        { name: 'oracle', retrieve: async (q) => set.questions.find((x) => x.question === q)!.relevant },
        {
          name: 'flaky',
          retrieve: async () => {
            if (calls++ % 2) throw new Error('down');
            return [];
          },
        },
      ],
      { recallAt: [1, 10] },
    );
    expect(report).toMatchObject({ set: 'small', questions: 12, recallAt: [1, 10] });
    const [bm25, oracle, flaky] = report.runs;
    expect(oracle).toMatchObject({ name: 'oracle', mrr10: 1, ndcg10: 1, failures: 0 });
    expect(bm25!.mrr10).toBeGreaterThan(0.3);
    expect(bm25!.mrr10).toBeLessThanOrEqual(1);
    expect(bm25!.recall[10]).toBeGreaterThanOrEqual(bm25!.recall[1]!);
    expect(flaky).toMatchObject({ failures: 6, mrr10: 0 });
    await expect(evaluateRetrieval(set, [], { recallAt: [0] })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});
