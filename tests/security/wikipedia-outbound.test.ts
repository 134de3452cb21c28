// What a question sends to Wikipedia and what the retriever logs about it: a real store, the real
// MediaWiki behind a capturing proxy that records every request, and the identifier corpus.
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { MEDICAL_ABBREVIATIONS, RetrievalPipeline } from '../../retrieval/pipeline/index.js';
import { MedicalVocabulary, WikipediaRetriever, wikipediaSearchQuery } from '../../retrieval/wikipedia/index.js';
import { tempDir } from '../helpers/paths.js';
import { ROOT } from '../helpers/paths.js';
import { findIdentifiers, QUESTIONS } from './fixtures/identifiers.js';
import { capturingMediaWiki, type CapturingMediaWiki } from './capturing-mediawiki.js';

const tmp = tempDir('galen-outbound-');
let store: KnowledgeStore;
let wiki: CapturingMediaWiki;

beforeAll(async () => {
  store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  await ingest(store, { source: 'sec', paths: [join(ROOT, 'tests', 'security', 'fixtures', 'corpus.jsonl')], format: 'jsonl' });
  wiki = await capturingMediaWiki({ upstream: process.env['GALEN_TEST_MEDIAWIKI_URL']! });
});

afterAll(async () => {
  store.close();
  await wiki.close();
  tmp.cleanup();
});

/** A pino logger at debug level whose raw lines the test reads. */
function memoryLogger(): { logger: pino.Logger; text: () => string; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const text = () => chunks.join('');
  return {
    logger: pino({ level: 'debug' }, sink),
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('the outbound Wikipedia query', () => {
  const vocabulary = () => MedicalVocabulary.fromTerms(store.focusTerms(), MEDICAL_ABBREVIATIONS);

  it('keeps only the medical focus and question-type words of a question', () => {
    const v = vocabulary();
    expect(v.terms(QUESTIONS[0]!)).toEqual({ focus: ['gout'], types: ['foods'] });
    expect(wikipediaSearchQuery(v.terms(QUESTIONS[1]!)).text).toBe('influenza side effects vaccine');
    expect(wikipediaSearchQuery(v.terms('treatment for HTN, MRN 00123456')).text).toBe('hypertension high blood pressure treatment');
    // No subject known: nothing goes out, not even the type words.
    expect(wikipediaSearchQuery(v.terms('Hi, my name is Zebulon Fairweather, what are the symptoms?')).text).toBe('');
    // An eponym's part alone is not a subject.
    expect(MedicalVocabulary.fromTerms(['Wilson disease']).terms('Mr Wilson has gout').focus).toEqual([]);
  });

  it('sends no identifier to the wiki, keeps none in the cache or the log, and still finds the articles', async () => {
    wiki.requests.length = 0;
    const cachePath = join(tmp.dir, 'cache-up', 'wikipedia-cache.sqlite');
    const log = memoryLogger();
    const wikipedia = new WikipediaRetriever({ apiUrl: wiki.url, budgetMs: 5000, cachePath, logger: log.logger });
    const pipeline = new RetrievalPipeline({ store, wikipedia });
    const results = [];
    for (const question of QUESTIONS) results.push(await pipeline.retrieve(question, { k: 6 }));
    wikipedia.close();

    expect(wiki.requests.length).toBeGreaterThan(QUESTIONS.length);
    expect(results.every((r) => r.wikipedia === 'ok')).toBe(true);
    expect(results[0]!.hits.some((h) => h.source === 'wikipedia-live' && h.title === 'Gout')).toBe(true);
    expect(findIdentifiers(wiki.requests.join('\n'))).toEqual([]);
    const searched = wiki.requests.map((r) => new URL(r, 'http://x').searchParams.get('srsearch')).filter(Boolean);
    expect(searched).toContain('gout foods');

    const db = new Database(cachePath, { readonly: true });
    const rows = db.prepare('SELECT key, value FROM response_cache').all() as Array<{ key: string; value: string }>;
    db.close();
    expect(rows.length).toBeGreaterThan(0);
    expect(findIdentifiers(rows.map((r) => r.key).join('\n'))).toEqual([]);
    for (const file of [cachePath, `${cachePath}-wal`])
      if (existsSync(file)) expect(findIdentifiers(readFileSync(file, 'latin1'))).toEqual([]);
    expect(findIdentifiers(log.text())).toEqual([]);
  });

  it('logs no question words when the wiki is down (warn lines, breaker open)', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const log = memoryLogger();
    const wikipedia = new WikipediaRetriever({ apiUrl: `http://127.0.0.1:${port}/api.php`, failureThreshold: 2, logger: log.logger });
    const pipeline = new RetrievalPipeline({ store, wikipedia });
    for (const question of QUESTIONS) expect((await pipeline.retrieve(question, { k: 3 })).wikipedia).toMatch(/error|open-circuit/);
    // Straight to the retriever too: whatever a caller passes, the log lines do not repeat it.
    await wikipedia.retrieve('gout Zebulon Fairweather 00123456');
    wikipedia.close();
    const warns = log.lines().filter((l) => l['level'] === 40);
    expect(warns.length).toBeGreaterThan(0);
    expect(warns.every((l) => !('query' in l))).toBe(true);
    expect(findIdentifiers(log.text())).toEqual([]);
    expect(log.text()).not.toMatch(/gout|influenza|asthma/);
  });
});

describe('the capturing MediaWiki', () => {
  it('records what it is sent (so the checks above can fail)', async () => {
    wiki.requests.length = 0;
    await fetch(`${wiki.url}?action=query&list=search&srsearch=zebulon&format=json`);
    expect(findIdentifiers(wiki.requests.join('\n'))).toEqual(['name: zebulon']);
    const res = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(`${wiki.url}?action=query&meta=siteinfo&format=json`, resolve),
    );
    expect(res.statusCode).toBe(200);
    res.resume();
  });
});
