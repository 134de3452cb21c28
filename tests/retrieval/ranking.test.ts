import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnowledgeStore, seedStore } from '../../knowledge/index.js';
import { RetrievalPipeline } from '../../retrieval/pipeline/index.js';
import {
  collapseSections,
  ENTAILMENT_FEATURES,
  entailmentAccuracy,
  LearnedRanker,
  logit,
  QuestionEntailment,
  RANKER_FEATURES,
  RANKER_MODEL_FILE,
  RankerModel,
  readRqePairs,
  trainSoftmaxRanking,
  untrainedRankerModel,
} from '../../retrieval/ranking/index.js';
import { SHARED_DATA, tempDir } from '../helpers/paths.js';

const tmp = tempDir();
let store: KnowledgeStore;
let ranker: LearnedRanker;
beforeAll(async () => {
  store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  await seedStore(store);
  ranker = LearnedRanker.load(store);
}, 120_000);
afterAll(() => {
  store.close();
  tmp.cleanup();
});

describe('question entailment', () => {
  it('loads the shipped model and recognises a known pair', () => {
    const rqe = QuestionEntailment.load();
    expect(rqe.model.logistic.features).toEqual([...ENTAILMENT_FEATURES]);
    expect(rqe.score('What are the symptoms of gout?', 'What are the symptoms of Gout ?')).toBeGreaterThan(0.9);
    expect(rqe.score('What are the symptoms of gout?', 'What is the outlook for Rett syndrome ?')).toBeLessThan(0.2);
  });

  it('gets most AMIA 2016 consumer validation pairs right', async () => {
    const pairs = await readRqePairs(join(SHARED_DATA, 'consumer-qa', 'rqe-validation-amia2016.xml'));
    expect(pairs).toHaveLength(279);
    expect(entailmentAccuracy(QuestionEntailment.load(), pairs)).toBeGreaterThan(0.7);
  });
});

describe('collapsing', () => {
  it('keeps one hit per section, the best-scoring chunk, where it stood', () => {
    const hit = (externalId: string, score: number, chunkId?: number, section = 'What is it ?') => ({
      source: 'medquad',
      externalId,
      section,
      score,
      ...(chunkId ? { chunkId } : {}),
    });
    const collapsed = collapseSections([
      hit('A', 3, 1),
      hit('B', 2.5, 2),
      hit('A', 2, 3),
      hit('B', 2.8, 4),
      // An abstract's sections share its id; they are different passages.
      hit('PMID_1', 2.7, 5, 'METHODS'),
      hit('PMID_1', 2.6, 6, 'RESULTS'),
      hit('https://w', 1),
      hit('https://w', 0.5),
    ]);
    expect(collapsed.map((h) => [h.externalId, h.score])).toEqual([
      ['A', 3],
      ['B', 2.8],
      ['PMID_1', 2.7],
      ['PMID_1', 2.6],
      ['https://w', 1],
      ['https://w', 0.5],
    ]);
  });

  it('gives one hit per passage from the pipeline, where long sections have several chunks', async () => {
    const pipeline = new RetrievalPipeline({ store, ranker });
    for (const q of ['What is the treatment for breast cancer?', 'How is type 2 diabetes diagnosed?']) {
      const { hits } = await pipeline.retrieve(q, { k: 20, sources: ['corpus'] });
      expect(hits).toHaveLength(20);
      expect(new Set(hits.map((h) => `${h.externalId} ${h.section}`)).size).toBe(hits.length);
      expect(new Set(hits.map((h) => h.externalId)).size).toBe(hits.length);
    }
  });
});

describe('softmax ranking training', () => {
  // Each list's answer has the highest `signal` within its list, but lists sit at very different
  // levels of it (long and short questions), so across lists the answers' values overlap the
  // others'; `noise` says nothing; `constant` never varies.
  const lists = Array.from({ length: 40 }, (_, q) => {
    const level = (q % 5) * 3;
    const answer = q % 7;
    const rows = Array.from({ length: 8 }, (_, i) => [level + (i === answer ? 2 : (i * 0.17) % 1.5), ((q * 13 + i * 7) % 11) / 11, 1]);
    return { rows, relevant: rows.map((_, i) => i === answer) };
  });
  const features = ['signal', 'noise', 'constant'];

  it('learns what puts the answer first within its own list', () => {
    const model = trainSoftmaxRanking(features, lists.slice(0, 30));
    expect(model.weights[0]).toBeGreaterThan(0);
    expect(Math.abs(model.weights[1]!)).toBeLessThan(model.weights[0]! / 4);
    expect(model.weights[2]).toBe(0);
    expect(model.bias).toBe(0);
    for (const list of lists.slice(30)) {
      const scores = list.rows.map((r) => logit(model, r));
      expect(scores.indexOf(Math.max(...scores))).toBe(list.relevant.indexOf(true));
    }
    expect(trainSoftmaxRanking(features, lists.slice(0, 30))).toEqual(model);
  });

  it('trains around fixed offsets, and needs a list with both kinds of candidate', () => {
    // An offset that already ranks every answer first leaves the weights little to do.
    const offset = lists.map((l) => ({ ...l, offsets: l.relevant.map((r) => (r ? 20 : 0)) }));
    expect(Math.abs(trainSoftmaxRanking(features, offset).weights[0]!)).toBeLessThan(trainSoftmaxRanking(features, lists).weights[0]!);
    expect(() => trainSoftmaxRanking(features, [{ rows: [[1, 0, 1]], relevant: [true] }])).toThrow(/both a relevant and an irrelevant/);
  });
});

describe('learned ranker', () => {
  it('scores a saved model exactly: Σ weight · (x − mean) / scale + bias over its named features', () => {
    const model = RankerModel.parse(JSON.parse(readFileSync(RANKER_MODEL_FILE, 'utf8')));
    expect(model.logistic.features).toEqual([...RANKER_FEATURES]);
    const x = RANKER_FEATURES.map((_, i) => (i % 3) * 0.5);
    let expected = model.logistic.bias;
    RANKER_FEATURES.forEach((_, i) => {
      expected += (model.logistic.weights[i]! * (x[i]! - model.logistic.mean[i]!)) / model.logistic.scale[i]!;
    });
    expect(logit(model.logistic, x)).toBe(expected);
    // A written model scores what its weights say: all on questionSame puts the passage asking exactly the question first.
    const file = join(tmp.dir, 'same-only.json');
    const only = untrainedRankerModel();
    only.logistic.weights[RANKER_FEATURES.indexOf('questionSame')] = 2;
    only.logistic.bias = -1;
    writeFileSync(file, JSON.stringify(only));
    const sameOnly = LearnedRanker.load(store, { ranker: file });
    const analysis = {
      language: 'en' as const,
      focus: [],
      types: ['symptoms' as const],
      coreQuestion: 'What are the symptoms of gout?',
      standalone: 'What are the symptoms of gout?',
      query: 'What are the symptoms of gout?',
    };
    const hits = store
      .getChunksByExternalId('NIHSeniorHealth_0000028_Sec3')
      .concat(store.getChunksByExternalId('NIHSeniorHealth_0000028_Sec1'));
    const evidence = hits.map((c, i) => ({
      chunkId: c.chunkId,
      externalId: c.externalId,
      title: c.title,
      score: 1 - i / 10,
      retrievers: [],
    }));
    const scored = sameOnly.score(analysis, [...evidence].reverse());
    expect(scored.map((s) => s.score)).toEqual(
      [...evidence].reverse().map((e) => (e.externalId === 'NIHSeniorHealth_0000028_Sec3' ? 1 : -1)),
    );
    expect(sameOnly.rank(analysis, [...evidence].reverse())[0]!.externalId).toBe('NIHSeniorHealth_0000028_Sec3');
  });

  it('refuses a model file whose features are not its own', () => {
    const file = join(tmp.dir, 'bad.json');
    const bad = untrainedRankerModel();
    bad.logistic.features[0] = 'mystery';
    writeFileSync(file, JSON.stringify(bad));
    expect(() => LearnedRanker.load(store, { ranker: file })).toThrow(/features must be/);
    expect(() => LearnedRanker.load(store, { ranker: join(tmp.dir, 'missing.json') })).toThrow(/cannot load the ranker model/);
  });

  it("ranks MedQuAD's gout symptoms passage first for 'What are the symptoms of gout?'", async () => {
    const pipeline = new RetrievalPipeline({ store, ranker });
    const { hits, timings } = await pipeline.retrieve('What are the symptoms of gout?', { k: 5, sources: ['corpus'] });
    expect(hits[0]).toMatchObject({ title: 'Gout', section: 'What are the symptoms of Gout ?' });
    expect(hits[0]!.retrievers.map((p) => p.retriever)).toContain('ranker');
    expect(timings.rank).toBeGreaterThanOrEqual(0);
    // Without the ranker the fused order does not.
    const plain = await new RetrievalPipeline({ store }).retrieve('What are the symptoms of gout?', { k: 5, sources: ['corpus'] });
    expect(plain.hits[0]!.section).not.toBe('What are the symptoms of Gout ?');
  });

  it("keeps to lisinopril itself for 'can i take ibuprofen with lisinopril' (the seed corpus has no ibuprofen page)", async () => {
    const pipeline = new RetrievalPipeline({ store, ranker });
    const { hits } = await pipeline.retrieve('can i take ibuprofen with lisinopril', { k: 5, sources: ['corpus'] });
    expect(hits.map((h) => h.title)).toEqual(['Lisinopril', 'Lisinopril', 'Lisinopril', 'Lisinopril', 'Lisinopril']);
    const plain = await new RetrievalPipeline({ store }).retrieve('can i take ibuprofen with lisinopril', { k: 5, sources: ['corpus'] });
    expect(plain.hits.map((h) => h.title)).toContain('Lisinopril and Hydrochlorothiazide');
  });
});
