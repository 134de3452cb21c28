// A damaged knowledge store through the real CLI: a store made by a real ingest, truncated as a
// full disk or a bad copy would leave it; serve and ask must say what to do, `galen store check`
// must fail, `galen store recover` must rebuild what can be read (keeping the damaged file), and
// `galen refresh` must read the lost documents again from their recorded paths.
import { execFile } from 'node:child_process';
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnowledgeStore, STORE_FILE } from '../../knowledge/index.js';
import type { CliResult } from '../helpers/cli.js';
import { copyMedquadSample } from '../helpers/fixtures.js';
import { ROOT, tempDir } from '../helpers/paths.js';

/** Runs the real `galen` executable without blocking the test worker (these runs are slow under load). */
function galen(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'galen.js'), ...args],
      { cwd: ROOT, env: { ...process.env, GALEN_FROM_SOURCE: '1' }, encoding: 'utf8', timeout: 120_000 },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

const tmp = tempDir('galen-store-recovery-');
afterAll(() => tmp.cleanup());
const data = join(tmp.dir, 'data');
const store = join(data, STORE_FILE);
let chunksBefore = 0;

function chunkTitles(): string[] {
  const opened = KnowledgeStore.open({ dataDir: data });
  try {
    return [...opened.allChunkTexts()].flat().map((chunk) => chunk.title);
  } finally {
    opened.close();
  }
}

function sourceDocuments(): number {
  const opened = KnowledgeStore.open({ dataDir: data });
  try {
    return opened.getSource('ghr').documents;
  } finally {
    opened.close();
  }
}

beforeAll(async () => {
  const folder = copyMedquadSample(tmp.dir, 20);
  const ingested = await galen(['ingest', folder, '--source', 'ghr', '--data', data]);
  expect(ingested.status).toBe(0);
  chunksBefore = chunkTitles().length;
  expect(chunksBefore).toBeGreaterThan(50);
  expect((await galen(['store', 'check', '--data', data])).status).toBe(0);
  // Lose the last 30% of the file, as a full disk or an interrupted copy would.
  truncateSync(store, Math.floor(statSync(store).size * 0.7));
});

describe('a truncated galen.sqlite', () => {
  it('stops serve and ask with a message that names the store and the commands that help', async () => {
    for (const args of [
      ['serve', '--port', '0', '--data', data],
      ['ask', 'What causes achondrogenesis?', '--data', data],
    ]) {
      const r = await galen(args);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(store);
      expect(r.stderr).toMatch(/is damaged \(database disk image is malformed\)/);
      expect(r.stderr).toContain(`galen store check --data ${data}`);
      expect(r.stderr).toContain(`galen store recover --data ${data}`);
      // A message, not a crash.
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('fails `galen store check` with a report, in text and JSON', async () => {
    const text = await galen(['store', 'check', '--data', data]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/FAIL open: database disk image is malformed/);
    expect(text.stdout).toMatch(/galen store recover/);
    const json = await galen(['--json', 'store', 'check', '--data', data]);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, file: store, checks: [{ name: 'open', ok: false }] });
  });

  it('is rebuilt by `galen store recover` from what can be read, keeping the damaged file; the survivors are found again', async () => {
    const r = await galen(['--json', 'store', 'recover', '--data', data]);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      recovered: boolean;
      damagedCopy: string;
      tables: { table: string; recovered: number }[];
      sources: { name: string; paths: string[] }[];
    };
    expect(report.recovered).toBe(true);
    expect(report.damagedCopy).toMatch(/galen\.sqlite\.corrupt-\d{4}-\d\d-\d\dT/);
    expect(readdirSync(data)).toContain(basename(report.damagedCopy));
    expect(report.sources).toEqual([{ name: 'ghr', paths: [expect.stringContaining('medquad')] }]);

    const check = await galen(['store', 'check', '--data', data]);
    expect(check.status).toBe(0);
    expect(check.stdout).toMatch(/ok\s+integrity_check/);
    expect(check.stdout).toMatch(/ok\s+fts:chunks_fts/);

    const survivors = chunkTitles();
    expect(survivors.length).toBeGreaterThan(0);
    expect(survivors.length).toBeLessThan(chunksBefore);
    expect(report.tables.find((t) => t.table === 'chunks')?.recovered).toBe(survivors.length);
    const title = survivors[survivors.length - 1]!;
    const search = await galen(['search', title, '--json', '--k', '5', '--data', data]);
    expect(search.status).toBe(0);
    expect((JSON.parse(search.stdout) as { hits: { title: string }[] }).hits.map((h) => h.title)).toContain(title);
    // Healthy now: recover has nothing to do.
    const again = await galen(['store', 'recover', '--data', data]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/passes its checks: nothing to recover/);
  });

  it('gets its lost documents back from their recorded paths with `galen refresh`', async () => {
    expect(sourceDocuments()).toBeLessThan(20);
    expect((await galen(['refresh', 'ghr', '--data', data])).status).toBe(0);
    expect(sourceDocuments()).toBe(20);
    expect(chunkTitles().length).toBe(chunksBefore);
  });
});
