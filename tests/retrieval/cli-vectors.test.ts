import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { ROOT, tempDir } from '../helpers/paths.js';

/**
 * Runs the real `galen` executable without blocking the test process (a vector build takes seconds,
 * and a blocked test worker loses its connection to vitest).
 */
function galen(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'galen.js'), ...args],
      { cwd: ROOT, env: { ...process.env, GALEN_FROM_SOURCE: '1', ...env }, timeout: 240_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

// The real galen executable on a real data directory: ingest keeps the vector index in step, and
// `index` and `eval` read and rebuild it.
const tmp = tempDir();
const data = join(tmp.dir, 'data');
let folder: string;
const offline = { GALEN_WIKIPEDIA: 'false' };

beforeAll(() => {
  folder = copyMedquadSample(tmp.dir, 25);
});
afterAll(() => tmp.cleanup());

describe('galen with vectors', () => {
  it('builds the index on ingest, reports it in index status, and removes with the source', async () => {
    const ingest = await galen(['--json', 'ingest', folder, '--source', 'ghr', '--data', data], offline);
    expect(ingest.status).toBe(0);
    const report = JSON.parse(ingest.stdout) as {
      chunksAdded: number;
      vectors: { count: number; added: number; embedder: string; refitted: string };
    };
    expect(report.vectors).toMatchObject({ added: report.chunksAdded, count: report.chunksAdded, refitted: 'no model yet' });
    expect(report.vectors.embedder).toMatch(/^lsa-v1:/);
    expect(ingest.stderr).toMatch(/vectors: Fitting the built-in LSA embedder/);
    for (const file of ['lsa.model', 'vectors.hnsw', 'vectors.meta.json']) expect(existsSync(join(data, file))).toBe(true);

    const status = await galen(['--json', 'index', 'status', '--data', data], offline);
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      enabled: true,
      storeChunks: report.chunksAdded,
      inStep: true,
      index: {
        embedderId: report.vectors.embedder,
        dimension: expect.any(Number),
        count: report.chunksAdded,
        m: 16,
        efConstruction: 200,
        efSearch: 128,
      },
      lsa: { modelId: report.vectors.embedder },
    });
    const human = await galen(['index', 'status', '--data', data], offline);
    expect(human.stdout).toMatch(/embedder\s+lsa-v1:/);
    expect(human.stdout).toMatch(/index file\s+\d+\.\d MB/);
    expect(human.stdout).toMatch(/in step\s+yes/);

    // A second source, then its removal: the index follows both.
    writeFileSync(join(tmp.dir, 'gout.md'), '# Gout\n\nGout is arthritis caused by uric acid crystals in a joint, often the big toe.\n');
    const added = JSON.parse(
      (await galen(['--json', 'ingest', join(tmp.dir, 'gout.md'), '--source', 'notes', '--data', data], offline)).stdout,
    );
    expect(added.vectors).toMatchObject({ added: 1, removed: 0, count: report.chunksAdded + 1, refitted: null });
    const retrieve = JSON.parse(
      (await galen(['--json', 'retrieve', 'uric acid crystals big toe', '--k', '3', '--data', data], offline)).stdout,
    );
    expect(retrieve.hits[0].title).toBe('Gout');
    // Found by both retrievers, then ordered by the learned ranker.
    expect(retrieve.hits[0].retrievers.map((p: { retriever: string }) => p.retriever)).toEqual(['corpus', 'vector', 'ranker']);
    const removed = await galen(['remove', '--source', 'notes', '--data', data], offline);
    expect(removed.stdout).toMatch(/Vectors: 0 added, 0 re-embedded, 1 removed, \d+ in the index/);
    expect(JSON.parse((await galen(['--json', 'index', 'status', '--data', data], offline)).stdout)).toMatchObject({
      inStep: true,
      index: { count: report.chunksAdded },
    });
  });

  it('rebuilds on request, and leaves vectors alone when they are off', async () => {
    const rebuilt = await galen(['--json', 'index', 'rebuild', '--data', data], offline);
    expect(rebuilt.status).toBe(0);
    const out = JSON.parse(rebuilt.stdout);
    expect(out.rebuild).toMatchObject({
      refitted: 'a rebuild was requested',
      added: out.status.storeChunks,
      count: out.status.storeChunks,
    });
    expect(out.status.inStep).toBe(true);

    const other = join(tmp.dir, 'plain');
    const plain = JSON.parse(
      (await galen(['--json', 'ingest', folder, '--source', 'ghr', '--data', other], { ...offline, GALEN_VECTORS: 'false' })).stdout,
    );
    expect(plain.vectors).toBeUndefined();
    expect(existsSync(join(other, 'vectors.hnsw'))).toBe(false);
    expect(JSON.parse((await galen(['--json', 'index', 'status', '--data', other], { GALEN_VECTORS: 'false' })).stdout)).toMatchObject({
      enabled: false,
      index: null,
      inStep: false,
    });
    const bad = await galen(['index', 'status', '--data', other], { GALEN_VECTORS: 'maybe' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/GALEN_VECTORS/);
  });

  it('evaluates textbook BM25, BM25, vectors and fusion on a question set, as a table and as JSON', async () => {
    const set = join(tmp.dir, 'set.jsonl');
    writeFileSync(
      set,
      [
        { id: 'a', question: 'Can Aarskog-Scott syndrome be passed down from parents to their children?', relevant: ['GHR_0000001_Sec4'] },
        { id: 'b', question: 'How common is Aarskog-Scott syndrome?', relevant: ['GHR_0000001_Sec2'] },
      ]
        .map((q) => JSON.stringify(q))
        .join('\n'),
    );
    const json = await galen(['--json', 'eval', 'retrieval', '--set', set, '--recall-at', '1,10', '--data', data], offline);
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as {
      sets: Array<{ set: string; questions: number; runs: Array<{ name: string; mrr10: number; recall: Record<string, number> }> }>;
    };
    expect(report.sets[0]).toMatchObject({ set: 'set', questions: 2 });
    expect(report.sets[0]!.runs.map((r) => r.name)).toEqual(['bm25-textbook', 'bm25', 'vector', 'fused', 'fused-rrf', 'ranked']);
    const bm25 = report.sets[0]!.runs[1]!;
    expect(bm25.recall['10']).toBe(1);
    expect(bm25.mrr10).toBeGreaterThan(0);
    const table = await galen(['eval', 'retrieval', '--set', set, '--runs', 'bm25,fused', '--data', data], offline);
    expect(table.stdout).toMatch(/^set: 2 questions\nrun\s+R@1\s+R@5\s+R@10\s+R@50\s+top-1\s+MRR@10\s+P@5\s+nDCG@10/m);
    expect(table.stdout).toMatch(/^fused\s+\d\.\d{4}/m);
    // `ranked` alone is still what `galen retrieve` does: with the vector index when vectors are on.
    const ranked = await galen(
      ['--json', 'eval', 'retrieval', '--set', set, '--recall-at', '1,10', '--runs', 'ranked', '--data', data],
      offline,
    );
    expect(ranked.status).toBe(0);
    expect(ranked.stderr).toMatch(/Vector index loaded/);
    const alone = (JSON.parse(ranked.stdout) as typeof report).sets[0]!.runs[0]!;
    expect({ ...alone, meanMs: 0, p99Ms: 0 }).toEqual({ ...report.sets[0]!.runs[5]!, meanMs: 0, p99Ms: 0 });

    writeFileSync(set, '{"id":"a","question":"q"}\n');
    const bad = await galen(['eval', 'retrieval', '--set', set, '--data', data], offline);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/set\.jsonl:1: relevant/);
    expect((await galen(['eval', 'retrieval', '--runs', 'magic', '--data', data])).stderr).toMatch(/Unknown --runs magic/);
  });
});
