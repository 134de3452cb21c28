import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { galen } from '../helpers/cli.js';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { SHARED, tempDir } from '../helpers/paths.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const data = join(tmp.dir, 'data');
const folder = copyMedquadSample(tmp.dir, 25);

describe('the galen CLI', () => {
  it('lists every command with a description', () => {
    const r = galen(['--help']);
    expect(r.status).toBe(0);
    for (const command of ['serve', 'ingest', 'refresh', 'sources', 'remove', 'export', 'search']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b.*\\S`, 'm'));
    }
  });

  it('ingests with a summary, and JSON with --json', () => {
    const human = galen(['ingest', folder, '--source', 'ghr', '--data', data]);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/Source ghr \(reference\): 25 added, 0 updated, 0 unchanged, 0 removed, 0 rejected/);
    const json = galen(['--json', 'ingest', folder, '--source', 'ghr', '--data', data]);
    expect(JSON.parse(json.stdout)).toMatchObject({ source: 'ghr', added: 0, unchanged: 25, removed: 0 });
  });

  it('searches with --json in the documented shape', () => {
    const r = galen(['search', 'Aarskog-Scott syndrome', '--k', '3', '--json'], { GALEN_DATA_DIR: data });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { hits: Array<Record<string, unknown>> };
    expect(out.hits).toHaveLength(3);
    for (const h of out.hits) {
      for (const key of ['chunkId', 'externalId', 'source', 'title', 'url', 'score', 'text']) expect(h).toHaveProperty(key);
    }
    expect(out.hits[0]!.externalId).toMatch(/^GHR_0000001_Sec\d+$/);
    const plain = galen(['search', 'Aarskog-Scott syndrome', '--data', data]);
    expect(plain.stdout).toMatch(/^1\. Aarskog-Scott syndrome/);
    expect(plain.stdout).toContain('https://ghr.nlm.nih.gov/condition/aarskog-scott-syndrome');
  });

  it('retrieves fused evidence from the corpus and live Wikipedia with --json', () => {
    const r = galen(['retrieve', 'What are the symptoms of Aarskog-Scott syndrome?', '--k', '5', '--json', '--data', data], {
      GALEN_WIKIPEDIA_URL: process.env['GALEN_TEST_MEDIAWIKI_URL']!,
      // The test wiki is PHP's single-threaded server: on a loaded machine it can miss the 1.5 s default.
      GALEN_WIKIPEDIA_BUDGET_MS: '10000',
    });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      wikipedia: string;
      hits: Array<Record<string, unknown> & { retrievers: Array<{ retriever: string; rank: number }> }>;
    };
    expect(out.wikipedia).toBe('ok');
    expect(out.hits).toHaveLength(5);
    for (const h of out.hits) {
      for (const key of ['externalId', 'source', 'title', 'url', 'score', 'text', 'retrievers']) expect(h).toHaveProperty(key);
      expect(h.retrievers[0]!.rank).toBeGreaterThan(0);
    }
    expect(new Set(out.hits.map((h) => h.retrievers[0]!.retriever))).toEqual(new Set(['corpus', 'wikipedia']));
    const bad = galen(['retrieve', 'x', '--sources', 'corpus,astrology', '--data', data]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown --sources astrology/);
  });

  it('lists sources, refreshes one from its recorded paths, exports and removes it', () => {
    const sources = JSON.parse(galen(['sources', '--json', '--data', data]).stdout) as { sources: Array<Record<string, unknown>> };
    expect(sources.sources).toMatchObject([{ name: 'ghr', documents: 25, license: 'CC BY 4.0', paths: [folder] }]);
    expect(galen(['sources', '--data', data]).stdout).toMatch(/^ghr\s+reference\s+25\s+/m);

    const refreshed = JSON.parse(galen(['refresh', 'ghr', '--json', '--data', data]).stdout);
    expect(refreshed).toMatchObject({ unchanged: 25, added: 0, removed: 0 });

    const out = join(tmp.dir, 'ghr.jsonl.gz');
    expect(galen(['export', '--source', 'ghr', '--out', out, '--answered-only', '--data', data]).status).toBe(0);
    expect(existsSync(out)).toBe(true);
    const copy = JSON.parse(galen(['ingest', out, '--source', 'copy', '--format', 'jsonl', '--json', '--data', data]).stdout);
    expect(copy).toMatchObject({ added: 25, rejected: 0 });
    const hits = JSON.parse(galen(['search', 'Aarskog-Scott', '--json', '--k', '20', '--data', data]).stdout).hits as Array<{
      source: string;
      externalId: string;
    }>;
    const bySource = (s: string) =>
      hits
        .filter((h) => h.source === s)
        .map((h) => h.externalId)
        .sort();
    expect(bySource('copy')).toEqual(bySource('ghr'));

    const removed = galen(['remove', '--source', 'copy', '--data', data]);
    expect(removed.stdout).toMatch(/Removed source copy: 25 documents/);
  });

  it('exits 2 with a clear message on bad input', () => {
    const missing = galen(['remove', '--source', 'nope', '--data', data]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/No source named "nope"/);
    const json = galen(['--json', 'remove', '--source', 'nope', '--data', data]);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'SOURCE_NOT_FOUND', message: expect.stringMatching(/nope/) } });
    const badK = galen(['search', 'x', '--k', '0', '--data', data]);
    expect(badK.status).toBe(2);
    expect(badK.stderr).toMatch(/--k must be a whole number/);
    const badFormat = galen(['ingest', folder, '--source', 's', '--format', 'pdf', '--data', data]);
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toMatch(/Allowed choices are auto, medquad/);
  });

  it('generates with a model directory, reproducing the reference greedy text', () => {
    const model = join(SHARED, 'models', 'stories260k');
    const r = galen([
      '--json',
      'generate',
      '--model',
      model,
      '--prompt',
      'Lily saw a big red ball and',
      '--max-tokens',
      '16',
      '--temperature',
      '0',
    ]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { text: string; tokens: number[]; promptTokens: number; finishReason: string };
    const reference = JSON.parse(readFileSync(join(model, 'reference.json'), 'utf8')) as { lily: { base_greedy: number[] } };
    expect(out.tokens).toEqual(reference.lily.base_greedy.slice(0, 16));
    expect(out).toMatchObject({ promptTokens: 10, finishReason: 'length' });
    expect(out.text).toMatch(/^a small box\. She wanted to play/);
    const missing = galen(['generate', '--model', join(tmp.dir, 'no-model'), '--prompt', 'x']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/model directory not found/);
  });

  it('validates configuration from the environment and a config file, naming the bad key', () => {
    const env = galen(['sources', '--data', data], { GALEN_CHUNK_CHARS: 'lots' });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/GALEN_CHUNK_CHARS \(ingest\.chunkChars\).*got "lots"/);
    const file = join(tmp.dir, 'galen.json');
    writeFileSync(file, JSON.stringify({ server: { port: 99999 }, colour: 'blue' }));
    const cfg = galen(['sources', '--config', file, '--data', data]);
    expect(cfg.status).toBe(2);
    expect(cfg.stderr).toMatch(/server\.port in .*galen\.json/);
    expect(cfg.stderr).toMatch(/colour/);
  });
});
