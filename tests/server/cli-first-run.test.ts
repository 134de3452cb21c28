import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { galen } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

// First-run mistakes with the real `galen` executable: a mistyped --data, files Galen cannot read.
const tmp = tempDir('galen-first-run-');
afterAll(() => tmp.cleanup());
const offline = { GALEN_WIKIPEDIA: 'false', GALEN_SEED: 'false', GALEN_VECTORS: 'false' };

describe('galen on a first run', () => {
  it('prints its version', () => {
    const r = galen(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses a --data directory without a store for commands that read, unless --create', () => {
    const typo = join(tmp.dir, 'dta');
    for (const args of [['search', 'gout'], ['sources'], ['ask', 'What is gout?'], ['retrieve', 'gout']]) {
      const r = galen(['--data', typo, ...args], offline);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/there is no Galen store in .*dta .*--create/);
    }
    expect(existsSync(typo)).toBe(false);
    const created = galen(['--data', typo, '--create', 'sources'], offline);
    expect(created.status).toBe(0);
    expect(created.stderr).toMatch(/creating a new store/);
    expect(created.stdout).toMatch(/No sources yet/);
  });

  it('fails an ingest where every file is rejected, leaving no empty source', () => {
    const data = join(tmp.dir, 'rejected');
    const folder = join(tmp.dir, 'papers');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'paper.pdf'), '%PDF-1.4 not really');
    writeFileSync(join(folder, 'notes.xyz'), 'hello');
    const r = galen(['ingest', folder, '--source', 'papers', '--data', data], offline);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/paper\.pdf: PDF is not supported/);
    expect(r.stderr).toMatch(/nothing was ingested into papers/);
    const sources = galen(['--json', 'sources', '--data', data], offline);
    expect(JSON.parse(sources.stdout)).toEqual({ sources: [] });
  });

  it('names retrievers --retrievers and source names --source, keeping the old spellings', () => {
    const data = join(tmp.dir, 'named');
    const folder = join(tmp.dir, 'notes');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'gout.md'), '# Gout\n\nGout is a form of arthritis with sudden, intense joint pain.\n');
    expect(galen(['ingest', folder, '--source', 'notes', '--data', data], offline).status).toBe(0);
    const bySource = JSON.parse(galen(['--json', 'search', 'gout', '--source', 'notes', '--data', data], offline).stdout);
    expect(bySource.hits.length).toBeGreaterThan(0);
    const none = JSON.parse(galen(['--json', 'search', 'gout', '--sources', 'elsewhere', '--data', data], offline).stdout);
    expect(none.hits).toEqual([]);
    const retrieved = galen(['--json', 'retrieve', 'gout', '--retrievers', 'corpus', '--data', data], offline);
    expect(retrieved.status).toBe(0);
    const bad = galen(['retrieve', 'gout', '--retrievers', 'astrology', '--data', data], offline);
    expect(bad.stderr).toMatch(/Unknown --retrievers astrology/);
    expect(galen(['retrieve', '--help']).stdout).toMatch(/--retrievers/);
    expect(galen(['search', '--help']).stdout).toMatch(/--source </);
  });
});
