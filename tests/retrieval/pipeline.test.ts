import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { QueryNormalizer, RetrievalPipeline, WIKIPEDIA_LIVE_SOURCE } from '../../retrieval/pipeline/index.js';
import { WikipediaRetriever } from '../../retrieval/wikipedia/index.js';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/paths.js';

// A real store (MedQuAD GHR files, ingested twice under two sources) and the real MediaWiki of
// tests/global-setup.ts.
const tmp = tempDir();
let store: KnowledgeStore;

beforeAll(async () => {
  store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  const folder = copyMedquadSample(tmp.dir, 60);
  await ingest(store, { source: 'ghr', paths: [folder] });
  await ingest(store, { source: 'ghr-mirror', paths: [join(folder, '0000001.xml')] });
});

afterAll(() => {
  store.close();
  tmp.cleanup();
});

const wiki = () => new WikipediaRetriever({ apiUrl: process.env['GALEN_TEST_MEDIAWIKI_URL']!, budgetMs: 5000 });

describe('the retrieval pipeline', () => {
  it('fuses the corpus and live Wikipedia, with provenance and quotas', async () => {
    const pipeline = new RetrievalPipeline({ store, wikipedia: wiki() });
    const result = await pipeline.retrieve('What are the symptoms of Aarskog-Scott syndrome?', { k: 6 });
    expect(result.wikipedia).toBe('ok');
    expect(result.hits.length).toBe(6);
    expect(result.hits[0]!.externalId).toMatch(/^GHR_0000001_Sec\d+$/);
    for (const hit of result.hits) {
      expect(hit.retrievers.length).toBeGreaterThan(0);
      for (const p of hit.retrievers) expect(p.rank).toBeGreaterThan(0);
      expect(hit.license).not.toBe('');
    }
    const live = result.hits.filter((h) => h.source === WIKIPEDIA_LIVE_SOURCE);
    expect(live.length).toBeGreaterThan(0);
    expect(live.length).toBeLessThanOrEqual(3);
    expect(live.every((h) => h.retrievers[0]!.retriever === 'wikipedia' && h.license === 'CC BY-SA 4.0')).toBe(true);
    expect(result.timings.corpus).toBeGreaterThanOrEqual(0);
    expect(result.timings.wikipedia).toBeGreaterThanOrEqual(0);
  });

  it('folds the same passage from two sources into one hit', async () => {
    const pipeline = new RetrievalPipeline({ store });
    const { hits } = await pipeline.retrieve('Aarskog-Scott syndrome hand abnormalities short fingers', { k: 10 });
    const texts = hits.map((h) => h.text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(hits.some((h) => h.source === 'ghr-mirror')).toBe(false);
  });

  it('costs nothing but its passages when the wiki is dead', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const pipeline = new RetrievalPipeline({ store, wikipedia: new WikipediaRetriever({ apiUrl: `http://127.0.0.1:${port}/api.php` }) });
    const result = await pipeline.retrieve('What causes Aarskog-Scott syndrome?', { k: 5 });
    expect(result.wikipedia).toBe('error');
    expect(result.hits).toHaveLength(5);
    expect(result.hits.every((h) => h.retrievers.map((p) => p.retriever).join() === 'corpus')).toBe(true);
  });

  it('searches corpus synonyms and expands abbreviations', async () => {
    const normalizer = QueryNormalizer.fromStore(store);
    expect(normalizer.normalize('Is faciogenital dysplasia inherited?')).toBe(
      'Is faciogenital dysplasia inherited? Aarskog-Scott syndrome',
    );
    expect(normalizer.normalize('diet for HTN')).toBe('diet for HTN hypertension high blood pressure');
    expect(normalizer.normalize('nothing to add here')).toBe('nothing to add here');
    const { hits } = await new RetrievalPipeline({ store, normalizer }).retrieve('faciogenital dysplasia', { k: 3, sources: ['corpus'] });
    expect(hits[0]!.title).toBe('Aarskog-Scott syndrome');
  });

  it('answers hostile questions normally', async () => {
    const pipeline = new RetrievalPipeline({ store, wikipedia: wiki() });
    for (const q of ['', '"', 'NEAR(', '[[File:x.png]] {{cite}}', '🙂'.repeat(50), 'x'.repeat(10_000), '高血压']) {
      const result = await pipeline.retrieve(q, { k: 5 });
      expect(Array.isArray(result.hits)).toBe(true);
      expect(result.hits.length).toBeLessThanOrEqual(5);
    }
  });
});
