import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, decodeFloats, encodeFloats, ModelBuildError, SafetensorsFile, type SafetensorsTensor } from '../../../model/index.js';
import { tempDir } from '../../helpers/paths.js';
import { greedy, readAllTensors, REFERENCE, STORIES_SAFETENSORS, storiesConfig, writeCheckpoint } from './fixtures.js';

const graphBytes = (dir: string) => readFileSync(join(dir, 'onnx', 'model.onnx'));

/** The tensors with every value rounded through `format`. */
function rounded(tensors: SafetensorsTensor[], format: 'float16' | 'bfloat16'): SafetensorsTensor[] {
  return tensors.map((t) => ({ ...t, data: decodeFloats(encodeFloats(t.data, format), format) }));
}

async function buildError(promise: Promise<unknown>): Promise<ModelBuildError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelBuildError);
  return error as ModelBuildError;
}

describe('checkpoint formats', () => {
  const tmp = tempDir('galen-build-formats-');
  let tensors: SafetensorsTensor[];
  let reference: Buffer;
  beforeAll(async () => {
    tensors = readAllTensors(STORIES_SAFETENSORS);
    await buildModel({ from: STORIES_SAFETENSORS, out: join(tmp.dir, 'reference') });
    reference = graphBytes(join(tmp.dir, 'reference'));
  });
  afterAll(() => tmp.cleanup());

  it('reads a checkpoint split into two shards with an index exactly as the single file', async () => {
    const dir = writeCheckpoint(join(tmp.dir, 'sharded'), tensors, { shards: 2 });
    expect(JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')).weight_map['model.norm.weight']).toBe(
      'model-00002-of-00002.safetensors',
    );
    await buildModel({ from: dir, out: join(tmp.dir, 'sharded-model') });
    expect(graphBytes(join(tmp.dir, 'sharded-model')).equals(reference)).toBe(true);
    expect((await greedy(join(tmp.dir, 'sharded-model'))).lily).toEqual(REFERENCE.lily.base_greedy);
  });

  for (const format of ['float16', 'bfloat16'] as const) {
    it(`reads ${format} tensors: the same graph as float32 tensors holding the ${format}-rounded values`, async () => {
      const values = rounded(tensors, format);
      const half = writeCheckpoint(join(tmp.dir, `${format}-ckpt`), tensors, { format });
      const full = writeCheckpoint(join(tmp.dir, `${format}-as-f32`), values);
      const file = SafetensorsFile.open(join(half, 'model.safetensors'));
      expect(file.entries.get('model.norm.weight')!.dtype).toBe(format === 'float16' ? 'F16' : 'BF16');
      file.close();
      await buildModel({ from: half, out: join(tmp.dir, `${format}-model`) });
      await buildModel({ from: full, out: join(tmp.dir, `${format}-f32-model`) });
      expect(graphBytes(join(tmp.dir, `${format}-model`)).equals(graphBytes(join(tmp.dir, `${format}-f32-model`)))).toBe(true);
      expect(graphBytes(join(tmp.dir, `${format}-model`)).equals(reference)).toBe(false);
    });
  }

  it('untied head: lm_head.weight is used when tie_word_embeddings is false', async () => {
    const embed = tensors.find((t) => t.name === 'model.embed_tokens.weight')!;
    const config = storiesConfig({ tie_word_embeddings: false });
    const same = writeCheckpoint(
      join(tmp.dir, 'untied-same'),
      [...tensors, { ...embed, name: 'lm_head.weight', data: embed.data.slice() }],
      { config },
    );
    expect((await buildModel({ from: same, out: join(tmp.dir, 'untied-same-model') })).architecture.tieWordEmbeddings).toBe(false);
    expect((await greedy(join(tmp.dir, 'untied-same-model'))).bos).toEqual(REFERENCE.bos.base_greedy);

    // Swap the head rows of the reference's first two tokens: the first greedy choice swaps too.
    const [a, b] = [REFERENCE.bos.base_greedy[0]!, 261];
    const head = embed.data.slice();
    head.set(embed.data.subarray(a * 64, a * 64 + 64), b * 64);
    head.set(embed.data.subarray(b * 64, b * 64 + 64), a * 64);
    const swapped = writeCheckpoint(join(tmp.dir, 'untied-swapped'), [...tensors, { ...embed, name: 'lm_head.weight', data: head }], {
      config,
    });
    await buildModel({ from: swapped, out: join(tmp.dir, 'untied-swapped-model') });
    expect((await greedy(join(tmp.dir, 'untied-swapped-model'), 1)).bos).toEqual([b]);
  });

  it('tied head: a stored lm_head.weight is ignored when tie_word_embeddings is true', async () => {
    const embed = tensors.find((t) => t.name === 'model.embed_tokens.weight')!;
    const dir = writeCheckpoint(join(tmp.dir, 'tied-extra'), [
      ...tensors,
      { ...embed, name: 'lm_head.weight', data: new Float32Array(embed.data.length) },
    ]);
    await buildModel({ from: dir, out: join(tmp.dir, 'tied-extra-model') });
    expect(graphBytes(join(tmp.dir, 'tied-extra-model')).equals(reference)).toBe(true);
  });

  it('an untied config without lm_head.weight is refused, naming the tensor', async () => {
    const dir = writeCheckpoint(join(tmp.dir, 'no-head'), tensors, { config: storiesConfig({ tie_word_embeddings: false }) });
    const error = await buildError(buildModel({ from: dir, out: join(tmp.dir, 'no-head-model') }));
    expect(error.code).toBe('INVALID_CHECKPOINT');
    expect(error.message).toMatch(/lm_head\.weight is missing/);
  });

  it('a tensor of the wrong shape is refused, naming it and both shapes', async () => {
    const bad = tensors.map((t) => (t.name === 'model.layers.2.self_attn.k_proj.weight' ? { ...t, shape: [64, 32], data: t.data } : t));
    const dir = writeCheckpoint(join(tmp.dir, 'bad-shape'), bad);
    const error = await buildError(buildModel({ from: dir, out: join(tmp.dir, 'bad-shape-model') }));
    expect(error.message).toMatch(/model\.layers\.2\.self_attn\.k_proj\.weight has shape \[64, 32\], config\.json implies \[32, 64\]/);
  });

  it('a truncated safetensors file, a pickle-only folder and an unsupported config are refused clearly', async () => {
    const dir = writeCheckpoint(join(tmp.dir, 'truncated'), tensors);
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    expect((await buildError(buildModel({ from: dir, out: join(tmp.dir, 't-model') }))).message).toMatch(/past the end of the .*truncated/);

    const empty = writeCheckpoint(join(tmp.dir, 'empty'), []);
    writeFileSync(join(empty, 'model.safetensors'), '');
    expect((await buildError(buildModel({ from: empty, out: join(tmp.dir, 'e-model') }))).message).toMatch(/not a valid safetensors file/);

    const pickle = join(tmp.dir, 'pickle');
    mkdirSync(pickle);
    writeFileSync(join(pickle, 'config.json'), JSON.stringify(storiesConfig()));
    writeFileSync(join(pickle, 'pytorch_model.bin'), 'PK');
    const refused = await buildError(buildModel({ from: pickle, out: join(tmp.dir, 'p-model') }));
    expect(refused.code).toBe('UNSUPPORTED');
    expect(refused.message).toMatch(/pickle/);

    const scaled = writeCheckpoint(join(tmp.dir, 'rope-scaled'), tensors, {
      config: storiesConfig({ rope_scaling: { type: 'linear', factor: 2 } }),
    });
    expect((await buildError(buildModel({ from: scaled, out: join(tmp.dir, 'r-model') }))).code).toBe('UNSUPPORTED');
  });
});
