import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { ROOT, SHARED_DATA, tempDir } from '../helpers/paths.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/**
 * Starts a real ingest of all of MedQuAD in another process, as source `ghr`, and kills it with
 * SIGKILL once it reports that it has written `documents` documents inside its transaction.
 */
function killMidIngest(dataDir: string, documents: number): Promise<{ killedAt: number; signal: string | null }> {
  const script = `
    import { ingest, KnowledgeStore } from ${JSON.stringify(join(ROOT, 'knowledge', 'index.ts'))};
    const store = KnowledgeStore.open({ dataDir: ${JSON.stringify(dataDir)} });
    await ingest(store, {
      source: 'ghr',
      paths: [${JSON.stringify(join(SHARED_DATA, 'medquad'))}],
      onProgress: (p) => process.stdout.write(p.documents + '\\n'),
    });
    process.stdout.write('finished\\n');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let killedAt = -1;
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'finished') reject(new Error('the ingest finished before it could be killed'));
        if (killedAt < 0 && Number(line) >= documents) {
          killedAt = Number(line);
          child.kill('SIGKILL');
        }
      }
    });
    child.on('exit', (_code, signal) => resolve({ killedAt, signal }));
    child.on('error', reject);
  });
}

describe('an ingest killed mid-run', () => {
  it('leaves the previous state whole', async () => {
    const dataDir = join(tmp.dir, 'data');
    const store = KnowledgeStore.open({ dataDir });
    await ingest(store, { source: 'ghr', paths: [copyMedquadSample(tmp.dir, 40)] });
    const snapshot = () => ({
      sources: store.listSources().map(({ refreshedAt, ...s }) => s),
      chunks: store.db.prepare('SELECT id, chunk_key FROM chunks ORDER BY id').all(),
    });
    const before = snapshot();
    store.close();

    const { killedAt, signal } = await killMidIngest(dataDir, 3000);
    expect(signal).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(3000);

    const reopened = KnowledgeStore.open({ dataDir });
    try {
      expect(reopened.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(reopened.db.prepare("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)").run()).toBeDefined();
      const after = {
        sources: reopened.listSources().map(({ refreshedAt, ...s }) => s),
        chunks: reopened.db.prepare('SELECT id, chunk_key FROM chunks ORDER BY id').all(),
      };
      expect(after).toEqual(before);
      expect(before.sources[0]!.documents).toBe(40);
    } finally {
      reopened.close();
    }
  });
});
