import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLanguageModel, ModelError, readModelDirectory } from '../../model/index.js';
import { copyStoriesInto, STORIES } from './fixtures.js';

const temps: string[] = [];
/** A writable copy of stories260k (1 MB). */
function copyOfStories(): string {
  const dir = mkdtempSync(join(tmpdir(), 'galen-model-'));
  temps.push(dir);
  return copyStoriesInto(dir);
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function loadError(dir: string, options = {}): Promise<ModelError> {
  try {
    const model = await loadLanguageModel(dir, options);
    await model.close();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error(`loading ${dir} did not fail`);
}

describe('model directory errors', () => {
  it('a missing directory is MODEL_NOT_FOUND naming it', async () => {
    const e = await loadError('/nonexistent/galen-model');
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toContain('/nonexistent/galen-model');
  });

  it('each missing required file is MODEL_NOT_FOUND naming the file', async () => {
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      const dir = copyOfStories();
      rmSync(join(dir, f));
      const e = await loadError(dir);
      expect(e.code).toBe('MODEL_NOT_FOUND');
      expect(e.message).toContain(f);
    }
    const dir = copyOfStories();
    rmSync(join(dir, 'onnx'), { recursive: true });
    expect((await loadError(dir)).message).toContain('onnx/model*.onnx');
  });

  it('generation_config.json is optional', () => {
    const dir = copyOfStories();
    rmSync(join(dir, 'generation_config.json'));
    expect(readModelDirectory(dir).config.eosTokenIds).toEqual([2]);
  });

  it('malformed JSON and bad config values are INVALID_MODEL naming the file and key', async () => {
    const dir = copyOfStories();
    writeFileSync(join(dir, 'config.json'), '{ "num_hidden_layers": 5,');
    let e = await loadError(dir);
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toContain('config.json');
    const config = JSON.parse(readFileSync(join(STORIES, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, num_attention_heads: 'eight' }));
    e = await loadError(dir);
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toContain('num_attention_heads');
  });

  it('a config.json that disagrees with the graph is INVALID_MODEL', async () => {
    const config = JSON.parse(readFileSync(join(STORIES, 'config.json'), 'utf8'));
    for (const [key, value, words] of [
      ['num_hidden_layers', 6, 'num_hidden_layers'],
      ['num_key_value_heads', 8, 'heads'],
      ['head_dim', 16, 'head size'],
    ] as const) {
      const dir = copyOfStories();
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, [key]: value }));
      const e = await loadError(dir);
      expect(e.code).toBe('INVALID_MODEL');
      expect(e.message).toContain(words);
    }
  });

  it('a corrupt ONNX file is INVALID_MODEL', async () => {
    const dir = copyOfStories();
    writeFileSync(join(dir, 'onnx', 'model.onnx'), 'not a protobuf');
    const e = await loadError(dir);
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toContain('model.onnx');
  });

  it('several graphs without model.onnx must be chosen with onnxFile', async () => {
    const dir = copyOfStories();
    cpSync(join(dir, 'onnx', 'model.onnx'), join(dir, 'onnx', 'model_a.onnx'));
    cpSync(join(dir, 'onnx', 'model.onnx'), join(dir, 'onnx', 'model_b.onnx'));
    rmSync(join(dir, 'onnx', 'model.onnx'));
    expect((await loadError(dir)).message).toContain('model_a.onnx, model_b.onnx');
    const model = await loadLanguageModel(dir, { onnxFile: 'model_b.onnx' });
    expect((await model.generate({ tokenIds: [1] }, { maxNewTokens: 3, temperature: 0 })).tokens).toEqual([403, 407, 261]);
    await model.close();
  });
});

describe('execution providers', () => {
  const bindingDir = join(
    dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')),
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  const cudaInstalled = existsSync(join(bindingDir, 'libonnxruntime_providers_cuda.so'));

  it.skipIf(cudaInstalled)('CUDA without its provider libraries is EXECUTION_PROVIDER_UNAVAILABLE naming them', async () => {
    const e = await loadError(STORIES, { executionProvider: 'cuda' });
    expect(e.code).toBe('EXECUTION_PROVIDER_UNAVAILABLE');
    expect(e.message).toContain('libonnxruntime_providers_cuda.so');
    expect(e.message).toContain('npm run install:cuda');
  });

  it.skipIf(cudaInstalled)('allowCpuFallback runs on CPU with a warning', async () => {
    const warnings: string[] = [];
    const model = await loadLanguageModel(STORIES, {
      executionProvider: 'cuda',
      allowCpuFallback: true,
      onWarning: (m) => warnings.push(m),
    });
    expect(model.info.executionProvider).toBe('cpu');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/CUDA.*falling back to CPU/);
    await model.close();
  });

  it('a closed model refuses requests with CLOSED', async () => {
    const model = await loadLanguageModel(STORIES);
    await model.close();
    expect(() => model.stream('x')).toThrowError(expect.objectContaining({ code: 'CLOSED' }));
  });
});
