import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildModel, loadLanguageModel, MODEL_SHAPES, resolveModelShape } from '../../../model/index.js';
import { SHARED, tempDir } from '../../helpers/paths.js';
import { greedy, REFERENCE, STORIES } from './fixtures.js';

describe('random-weight builds and external data', () => {
  const tmp = tempDir('galen-build-random-');
  afterAll(() => tmp.cleanup());

  it('knows the real shapes it promises', () => {
    expect(resolveModelShape('smollm2-135m')).toMatchObject({
      hiddenSize: 576,
      numLayers: 30,
      numAttentionHeads: 9,
      numKeyValueHeads: 3,
      intermediateSize: 1536,
      vocabSize: 49152,
      tieWordEmbeddings: true,
    });
    expect(resolveModelShape('TinyLlama-1.1B')).toMatchObject({
      hiddenSize: 2048,
      numLayers: 22,
      numAttentionHeads: 32,
      numKeyValueHeads: 4,
      intermediateSize: 5632,
      vocabSize: 32000,
      tieWordEmbeddings: false,
    });
    expect(resolveModelShape(join(STORIES, 'config.json'))).toEqual(MODEL_SHAPES['stories260k']);
    expect(() => resolveModelShape('gpt-5')).toThrow(/unknown shape "gpt-5"/);
  });

  it('a seeded random model is reproducible, loads, and generates finite logits', async () => {
    const a = join(tmp.dir, 'random-a');
    const b = join(tmp.dir, 'random-b');
    const c = join(tmp.dir, 'random-c');
    await buildModel({ random: { shape: 'stories260k', seed: 3 }, tokenizer: STORIES, out: a });
    await buildModel({ random: { shape: 'stories260k', seed: 3 }, tokenizer: STORIES, out: b });
    await buildModel({ random: { shape: 'stories260k', seed: 4 }, tokenizer: STORIES, out: c });
    const bytes = (d: string) => readFileSync(join(d, 'onnx', 'model.onnx'));
    expect(bytes(a).equals(bytes(b))).toBe(true);
    expect(bytes(a).equals(bytes(c))).toBe(false);
    const model = await loadLanguageModel(a);
    try {
      const r = await model.generate('Once upon a time', { maxNewTokens: 16, temperature: 0 });
      expect(r.tokens.length).toBeGreaterThan(0);
      expect(r.tokens.every((t) => t >= 0 && t < 512)).toBe(true);
    } finally {
      await model.close();
    }
    // Small random weights keep the logits finite and varied (greedy ids alone hold even for NaN logits).
    const session = await ort.InferenceSession.create(join(a, 'onnx', 'model.onnx'));
    try {
      const one = (v: number) => new ort.Tensor('int64', BigInt64Array.from([BigInt(v)]), [1, 1]);
      const feeds: Record<string, ort.Tensor> = { input_ids: one(1), attention_mask: one(1), position_ids: one(0) };
      for (let i = 0; i < 5; i++)
        for (const kv of ['key', 'value'])
          feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 8]);
      const logits = (await session.run(feeds)).logits!.data as Float32Array;
      expect(logits.length).toBe(512);
      expect(logits.every(Number.isFinite)).toBe(true);
      expect(new Set(logits).size).toBeGreaterThan(100);
    } finally {
      await session.release();
    }
  });

  it('a random model needs a tokenizer, and warns when the tokenizer outgrows the vocabulary', async () => {
    await expect(buildModel({ random: { shape: 'stories260k' }, out: join(tmp.dir, 'no-tokenizer') })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    const warnings: string[] = [];
    await buildModel({
      random: { shape: 'stories260k' },
      tokenizer: join(SHARED, 'models', 'tokenizers', 'smollm'),
      out: join(tmp.dir, 'big-tokenizer'),
      onWarning: (m) => warnings.push(m),
    });
    expect(warnings.join('\n')).toMatch(/ids up to 49151, but the model's vocabulary is 512/);
  });

  it('weights in onnx/model.onnx_data give the same model as weights inside the graph', async () => {
    const out = join(tmp.dir, 'external');
    const report = await buildModel({ from: STORIES, out, externalData: 'always' });
    expect(report.externalData).toBe(true);
    expect(statSync(join(out, 'onnx', 'model.onnx')).size).toBeLessThan(100_000);
    expect(statSync(join(out, 'onnx', 'model.onnx_data')).size).toBeGreaterThanOrEqual(report.weightBytes);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))['transformers.js_config']).toEqual({
      use_external_data_format: { 'model.onnx': 1 },
    });
    const ids = await greedy(out); // the graph edited in memory, its weights still read from beside the file
    expect(ids.bos).toEqual(REFERENCE.bos.base_greedy);
    expect(ids.lily).toEqual(REFERENCE.lily.base_greedy);
    const inline = join(tmp.dir, 'inline');
    await buildModel({ from: STORIES, out: inline });
    expect(existsSync(join(inline, 'onnx', 'model.onnx_data'))).toBe(false);
  });

  it('--dtype fp16 writes a float16 graph (weights, KV cache, logits) half the size', async () => {
    const out = join(tmp.dir, 'fp16');
    const report = await buildModel({ from: STORIES, out, dtype: 'fp16' });
    expect(report.weightBytes).toBe(520064);
    const model = await loadLanguageModel(out);
    try {
      expect(model.info.kvDtype).toBe('float16');
      // float16 rounding may move a near-tie late in the story; the start is robust.
      const r = await model.generate({ tokenIds: REFERENCE.lily.prompt_ids }, { maxNewTokens: 16, temperature: 0 });
      expect(r.tokens).toEqual(REFERENCE.lily.base_greedy.slice(0, 16));
    } finally {
      await model.close();
    }
  });
});
