import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureMergedModel } from '../../../model/index.js';
import { tempDir } from '../../helpers/paths.js';
import { greedy, REFERENCE, STORIES, STORIES_LORA } from './fixtures.js';

describe('ensureMergedModel: merged builds cached by content', () => {
  const tmp = tempDir('galen-merged-cache-');
  afterAll(() => tmp.cleanup());
  const cacheDir = join(tmp.dir, 'cache');

  it('builds once, then returns the cached directory; a changed adapter builds anew', async () => {
    const adapter = join(tmp.dir, 'adapter');
    cpSync(STORIES_LORA, adapter, { recursive: true });
    const progress: number[] = [];
    const first = await ensureMergedModel({ base: STORIES, adapters: [adapter], cacheDir, onProgress: (p) => progress.push(p.doneBytes) });
    expect(first.built).toBe(true);
    expect(progress.length).toBeGreaterThan(10);
    const ids = await greedy(first.dir);
    expect(ids.bos).toEqual(REFERENCE.bos.lora_greedy);
    expect(ids.lily).toEqual(REFERENCE.lily.lora_greedy);

    const again = await ensureMergedModel({ base: STORIES, adapters: [adapter], cacheDir });
    expect(again).toEqual({ ...first, built: false });

    const scaled = await ensureMergedModel({ base: STORIES, adapters: [adapter], scale: 0, cacheDir });
    expect(scaled.key).not.toBe(first.key);
    expect((await greedy(scaled.dir, 12)).bos).toEqual(REFERENCE.bos.base_greedy.slice(0, 12));

    // Same path, new bytes: the content key changes.
    const config = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify({ ...config, lora_alpha: 4 }));
    const changed = await ensureMergedModel({ base: STORIES, adapters: [adapter], cacheDir });
    expect(changed.built).toBe(true);
    expect(changed.key).not.toBe(first.key);
    expect(
      readdirSync(cacheDir)
        .filter((f) => !f.endsWith('.json'))
        .sort(),
    ).toEqual([first.dir, scaled.dir, changed.dir].map((d) => d.slice(cacheDir.length + 1)).sort());
  });

  it('keys on every file the build copies: a changed generation config or merges.txt builds anew', async () => {
    const base = join(tmp.dir, 'base');
    cpSync(STORIES, base, { recursive: true, filter: (f) => !f.includes('onnx') && !f.includes('llama2c') && !f.includes('lora') });
    const cache = join(tmp.dir, 'cache-side-files');
    const first = await ensureMergedModel({ base, cacheDir: cache });
    const generation = JSON.parse(readFileSync(join(base, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(base, 'generation_config.json'), JSON.stringify({ ...generation, temperature: 0.3 }));
    const second = await ensureMergedModel({ base, cacheDir: cache });
    expect(second.built).toBe(true);
    expect(second.key).not.toBe(first.key);
    expect(JSON.parse(readFileSync(join(second.dir, 'generation_config.json'), 'utf8'))).toMatchObject({ temperature: 0.3 });
    writeFileSync(join(base, 'merges.txt'), '#version: 0.2\n');
    const third = await ensureMergedModel({ base, cacheDir: cache });
    expect(third.built).toBe(true);
    expect(readFileSync(join(third.dir, 'merges.txt'), 'utf8')).toBe('#version: 0.2\n');
  });

  it('an invalid adapter fails and leaves nothing in the cache', async () => {
    const empty = join(tmp.dir, 'empty-cache');
    await expect(ensureMergedModel({ base: STORIES, adapters: [join(tmp.dir, 'missing')], cacheDir: empty })).rejects.toMatchObject({
      code: 'INVALID_ADAPTER',
    });
    expect(readdirSync(empty).filter((f) => !f.endsWith('.json'))).toEqual([]);
  });
});
