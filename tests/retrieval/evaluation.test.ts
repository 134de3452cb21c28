import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import {
  DEV_SETS,
  evaluateRetrieval,
  EvaluationError,
  formatEvalSet,
  loadEvalSet,
  medquadParaphraseQuestions,
  pubmedqaDevQuestions,
  scoreRanking,
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
    expect(scoreRanking(['X'], ['B'], [10])).toEqual({ recall: { 10: 0 }, mrr10: 0, ndcg10: 0, firstRelevantRank: null });
    expect(scoreRanking(['B'], ['B'], [1]).ndcg10).toBe(1);
    const late = scoreRanking(
      [...'abcdefghijk'].map((c) => c),
      ['k'],
      [10, 50],
    );
    expect(late).toMatchObject({ mrr10: 0, ndcg10: 0, recall: { 10: 0, 50: 1 }, firstRelevantRank: 11 });
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
