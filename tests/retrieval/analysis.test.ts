import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { QueryNormalizer, QuestionAnalyser, withPreviousTurn } from '../../retrieval/analysis/index.js';
import { RetrievalPipeline } from '../../retrieval/pipeline/index.js';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/paths.js';

// A real store of MedQuAD GHR files: the analyser takes its vocabulary from the store's metadata.
const tmp = tempDir();
let store: KnowledgeStore;

beforeAll(async () => {
  store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  await ingest(store, { source: 'ghr', paths: [copyMedquadSample(tmp.dir, 40)] });
});

afterAll(() => {
  store.close();
  tmp.cleanup();
});

describe('question analysis', () => {
  it('gives language, types, core question and focus in the corpus vocabulary', () => {
    const analyser = QuestionAnalyser.fromStore(store);
    const a = analyser.analyse('What are the symptoms of faciogenital dysplasia?');
    expect(a.language).toBe('en');
    expect(a.types[0]).toBe('symptoms');
    expect(a.focus.map((f) => f.name)).toContain('Aarskog-Scott syndrome');
    expect(a.query).toContain('Aarskog-Scott syndrome');
    expect(analyser.analyse('痛风的症状有哪些？')).toMatchObject({ language: 'zh', types: ['symptoms'] });
  });

  it('reads several types in one message', () => {
    const analyser = new QuestionAnalyser({ normalizer: QueryNormalizer.fromPairs([]) });
    expect(analyser.analyse('What causes gout and how is it treated?').types).toEqual(['causes', 'treatment']);
    expect(analyser.analyse('What is gout?').types).toEqual(['definition']);
  });

  it('lets a bare follow-up borrow the previous turn, and keeps its own type', () => {
    expect(withPreviousTurn('and how is it treated?', ['What is gout?'])).toBe('What is gout? and how is it treated?');
    expect(withPreviousTurn('How is gout treated in older people?', ['What is gout?'])).toBe('How is gout treated in older people?');
    const analyser = new QuestionAnalyser({ normalizer: QueryNormalizer.fromPairs([]) });
    const a = analyser.analyse('and how is it treated?', { previousTurns: ['What is gout?'] });
    expect(a.standalone).toBe('What is gout? and how is it treated?');
    expect(a.types[0]).toBe('treatment');
  });

  it('comes back with the retrieval results', async () => {
    const pipeline = new RetrievalPipeline({ store });
    const result = await pipeline.retrieve('What are the symptoms of faciogenital dysplasia?', { k: 3 });
    expect(result.analysis.types[0]).toBe('symptoms');
    expect(result.query).toBe(result.analysis.query);
  });
});
