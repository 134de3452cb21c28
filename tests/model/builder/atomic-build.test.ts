import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, ModelBuildError } from '../../../model/index.js';
import { ROOT, SHARED, tempDir } from '../../helpers/paths.js';
import { greedy, REFERENCE, STORIES } from './fixtures.js';

const staged = (dir: string) => readdirSync(dir).filter((f) => f.includes('.partial-'));

/** Starts `galen model build` and resolves once its staging folder holds `bytes` of weights. */
function startBuild(args: string[]): {
  child: ReturnType<typeof spawn>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
} {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'galen.js'), 'model', 'build', ...args], {
    cwd: ROOT,
    env: { ...process.env, GALEN_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

async function waitForWeights(parent: string, bytes: number): Promise<void> {
  for (;;) {
    for (const s of staged(parent)) {
      const data = join(parent, s, 'onnx', 'model.onnx_data');
      if (existsSync(data) && statSync(data).size >= bytes) return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('builds are atomic', () => {
  const tmp = tempDir('galen-build-atomic-');
  afterAll(() => tmp.cleanup());

  it('a build cancelled half-way leaves no model and no staging folder', async () => {
    const controller = new AbortController();
    const out = join(tmp.dir, 'cancelled');
    let reports = 0;
    const error = await buildModel({
      from: STORIES,
      out,
      signal: controller.signal,
      onProgress: () => {
        if (++reports === 10) controller.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelBuildError);
    expect((error as ModelBuildError).code).toBe('ABORTED');
    expect(reports).toBe(10);
    expect(existsSync(out)).toBe(false);
    expect(staged(tmp.dir)).toEqual([]);
  });

  it('an existing directory is kept unless overwrite is asked for, then replaced whole', async () => {
    const out = join(tmp.dir, 'existing');
    await buildModel({ from: STORIES, out });
    writeFileSync(join(out, 'marker'), 'old');
    await expect(buildModel({ from: STORIES, out })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readFileSync(join(out, 'marker'), 'utf8')).toBe('old');
    await buildModel({ from: STORIES, out, overwrite: true });
    expect(existsSync(join(out, 'marker'))).toBe(false);
    expect((await greedy(out, 8)).bos).toEqual(REFERENCE.bos.base_greedy.slice(0, 8));
    expect(staged(tmp.dir)).toEqual([]);
  });

  it('Ctrl-C during `galen model build` cancels it cleanly (exit 2, nothing written)', async () => {
    const out = join(tmp.dir, 'interrupted');
    const tokenizer = join(SHARED, 'models', 'tokenizers', 'smollm');
    const { child, exited } = startBuild([
      '--random',
      '--shape',
      'smollm2-135m',
      '--tokenizer',
      tokenizer,
      '--external-data',
      'always',
      '--out',
      out,
    ]);
    await waitForWeights(tmp.dir, 1);
    child.kill('SIGINT');
    const { code, stderr } = await exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(/cancelled/);
    expect(existsSync(out)).toBe(false);
    expect(staged(tmp.dir)).toEqual([]);
  });

  it('a build killed outright leaves no model; the next build clears its staging folder', async () => {
    const out = join(tmp.dir, 'killed');
    const tokenizer = join(SHARED, 'models', 'tokenizers', 'smollm');
    const { child, exited } = startBuild([
      '--random',
      '--shape',
      'smollm2-135m',
      '--tokenizer',
      tokenizer,
      '--external-data',
      'always',
      '--out',
      out,
    ]);
    await waitForWeights(tmp.dir, 1);
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    expect(staged(tmp.dir)).toHaveLength(1);
    await buildModel({ from: STORIES, out });
    expect(staged(tmp.dir)).toEqual([]);
    expect(existsSync(join(out, 'build.json'))).toBe(true);
  });
});
