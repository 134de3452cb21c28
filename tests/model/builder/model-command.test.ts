import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILDER_VERSION } from '../../../model/index.js';
import { galen } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/paths.js';
import { REFERENCE, STORIES, STORIES_LLAMA2C, STORIES_LORA } from './fixtures.js';

// `galen model build` through the real executable, then `galen generate` on its output.
describe('galen model build', () => {
  const tmp = tempDir('galen-model-cli-');
  afterAll(() => tmp.cleanup());

  it('builds a merged model that galen generate runs to the LoRA reference', () => {
    const out = join(tmp.dir, 'merged');
    const built = galen(['--json', 'model', 'build', '--from', STORIES, '--lora', STORIES_LORA, '--lora-scale', '1', '--out', out]);
    expect(built.status, built.stderr).toBe(0);
    const report = JSON.parse(built.stdout) as { out: string; adapters: Array<{ modules: number }>; dtype: string };
    expect(report).toMatchObject({ out, dtype: 'fp32', adapters: [{ modules: 35 }] });
    expect(JSON.parse(readFileSync(join(out, 'build.json'), 'utf8'))).toMatchObject({ builderVersion: BUILDER_VERSION, dtype: 'fp32' });
    const run = galen([
      '--json',
      'generate',
      '--model',
      out,
      '--prompt',
      'Lily saw a big red ball and',
      '--max-tokens',
      '48',
      '--temperature',
      '0',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { tokens: number[] }).tokens).toEqual(REFERENCE.lily.lora_greedy);
  });

  it('builds from a llama2c checkpoint with --tokenizer, printing a summary', () => {
    const out = join(tmp.dir, 'llama2c');
    const built = galen(['model', 'build', '--from', STORIES_LLAMA2C, '--tokenizer', STORIES, '--out', out]);
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/5 layers, hidden 64, 8 heads \/ 4 KV heads, vocab 512, fp32/);
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(true);
  });

  it('reports bad input with a code and exit status 2, writing nothing', () => {
    const out = join(tmp.dir, 'bad');
    const missing = galen(['--json', 'model', 'build', '--from', STORIES, '--lora', join(tmp.dir, 'nope'), '--out', out]);
    expect(missing.status).toBe(2);
    expect(JSON.parse(missing.stdout)).toEqual({
      error: { code: 'INPUT_NOT_FOUND', message: expect.stringMatching(/LoRA adapter folder not found/) },
    });
    const noTokenizer = galen(['model', 'build', '--from', STORIES_LLAMA2C, '--out', out]);
    expect(noTokenizer.status).toBe(2);
    expect(noTokenizer.stderr).toMatch(/no tokenizer\.json beside it; name a tokenizer folder \(--tokenizer\)/);
    const usage = galen(['model', 'build', '--random', '--out', out]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--random needs --shape/);
    expect(existsSync(out)).toBe(false);
  });
});
