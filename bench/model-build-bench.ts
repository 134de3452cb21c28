/**
 * Model-build benchmark: wall time and peak memory of `buildModel` for random-weight models of
 * real shapes (SmolLM2-135M; TinyLlama-1.1B unless --quick), each built in a child process so its
 * peak resident memory is the build's own.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../model/index.js';
import { maxRssMiB, ROOT, round, tempDir, type BenchModule, type BenchOptions } from './common.js';

const TOKENIZER = join(ROOT, '..', 'shared', 'models', 'tokenizers', 'smollm');
const SELF = fileURLToPath(import.meta.url);

export const modelBuildBench: BenchModule = {
  name: 'model-build',
  description: 'galen model build: seconds, MB/s and peak memory for random SmolLM2-135M and TinyLlama-1.1B shapes',
  run: runModelBuildBench,
};

async function runModelBuildBench(options: BenchOptions): Promise<Record<string, unknown>> {
  const shapes = options.overrides.buildShapes?.split(',') ?? (options.quick ? ['smollm2-135m'] : ['smollm2-135m', 'tinyllama-1.1b']);
  const tmp = tempDir('galen-bench-build-');
  const results: Record<string, unknown> = {};
  try {
    for (const shape of shapes) {
      options.log(`building random ${shape} in a child process`);
      const out = join(tmp.dir, shape);
      const stdout = execFileSync(process.execPath, ['--import', 'tsx', SELF, '--child', shape, out], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      const r = JSON.parse(stdout.trim().split('\n').pop()!) as {
        seconds: number;
        weightBytes: number;
        externalData: boolean;
        maxRssMiB: number;
      };
      results[shape] = {
        seconds: round(r.seconds, 1),
        weightMB: round(r.weightBytes / 1e6, 1),
        writeMBPerS: round(r.weightBytes / 1e6 / r.seconds, 1),
        externalData: r.externalData,
        peakRssMiB: r.maxRssMiB,
        peakRssOverWeights: round((r.maxRssMiB * 2 ** 20) / r.weightBytes, 2),
      };
      options.log(`${shape}: ${JSON.stringify(results[shape])}`);
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    tmp.cleanup();
  }
  return { note: 'seeded random N(0, 0.02²) weights: the time includes drawing them in JS', cpus: os.cpus().length, shapes: results };
}

/** Child mode: build one shape, print the report and this process's peak RSS as a JSON line. */
async function child(shape: string, out: string): Promise<void> {
  const report = await buildModel({ random: { shape, seed: 1 }, tokenizer: TOKENIZER, out });
  process.stdout.write(
    `${JSON.stringify({ seconds: report.seconds, weightBytes: report.weightBytes, externalData: report.externalData, maxRssMiB: maxRssMiB() })}\n`,
  );
}

if (process.argv[1] === SELF && process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
