import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { galen } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { MINI_CORPUS } from './chat-server.js';

// The real `galen ask` executable over a store holding the small test corpus.
const tmp = tempDir('galen-ask-');
const dataDir = join(tmp.dir, 'data');
const env = { GALEN_WIKIPEDIA: 'false', GALEN_SEED: 'false', GALEN_MODEL: '' };

beforeAll(async () => {
  const store = KnowledgeStore.open({ dataDir });
  try {
    await ingest(store, { source: 'mini', paths: [MINI_CORPUS], format: 'jsonl', license: 'CC BY 4.0', attribution: 'Galen test corpus' });
  } finally {
    store.close();
  }
});

afterAll(() => tmp.cleanup());

describe('galen ask', () => {
  it('prints a cited answer and its sources', () => {
    const r = galen(['--data', dataDir, 'ask', 'What are the symptoms of gout?'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /intense joint pain, redness, warmth and swelling\. Attacks often start at night and can last several days \[\d\]\./,
    );
    expect(r.stdout).toMatch(/Galen is not a doctor/);
    expect(r.stdout).toMatch(
      /Sources:\n\[\d\] Gout — What are the symptoms of Gout \? <https:\/\/example\.org\/gout> · mini · CC BY 4\.0 · GOUT_1_Sec2/,
    );
    expect(r.stderr).toMatch(/extractive answer/);
  });

  it('answers from the vector index, as the server does', () => {
    const r = galen(['--data', dataDir, '--json', 'ask', 'gout joint pain', '--sources', 'vector'], env);
    expect(r.status).toBe(0);
    const answer = JSON.parse(r.stdout) as { citations: Array<{ externalId: string }> };
    expect(answer.citations.some((c) => c.externalId.startsWith('GOUT'))).toBe(true);
  });

  it('prints the whole answer as JSON, triage included', () => {
    const r = galen(['--data', dataDir, '--json', 'ask', 'I have crushing chest pain and I am sweating'], env);
    expect(r.status).toBe(0);
    const answer = JSON.parse(r.stdout) as { mode: string; triage: { level: string }; answer: string; citations: Array<{ n: number }> };
    expect(answer.mode).toBe('extractive');
    expect(answer.triage.level).toBe('emergency');
    expect(answer.answer.startsWith('⚠️')).toBe(true);
    for (const m of answer.answer.matchAll(/\[(\d+)\]/g)) expect(answer.citations.map((c) => c.n)).toContain(Number(m[1]));
  });

  it('refuses bad flags with a usage error', () => {
    const r = galen(['--data', dataDir, 'ask', 'gout', '--sources', 'nowhere'], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown --sources nowhere/);
    const k = galen(['--data', dataDir, 'ask', 'gout', '--k', '0'], env);
    expect(k.status).toBe(2);
    expect(k.stderr).toMatch(/--k must be a whole number from 1 to 20/);
  });
});
