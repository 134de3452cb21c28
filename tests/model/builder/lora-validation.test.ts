import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, ModelBuildError, type SafetensorsTensor } from '../../../model/index.js';
import { tempDir } from '../../helpers/paths.js';
import { readAllTensors, STORIES, STORIES_LORA, storiesLoraConfig, writeAdapter } from './fixtures.js';

const Q0_A = 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight';
const Q0_B = 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight';

// Every adapter problem is found before anything is written, and named.
describe('LoRA adapters are validated against the base before building', () => {
  const tmp = tempDir('galen-build-lora-');
  let tensors: SafetensorsTensor[];
  beforeAll(() => {
    tensors = readAllTensors(join(STORIES_LORA, 'adapter_model.safetensors'));
  });
  afterAll(() => tmp.cleanup());

  async function refused(name: string, adapterTensors: SafetensorsTensor[], config = storiesLoraConfig()): Promise<ModelBuildError> {
    const adapter = writeAdapter(join(tmp.dir, name), adapterTensors, config);
    const out = join(tmp.dir, `${name}-model`);
    const error = await buildModel({ from: STORIES, adapters: [STORIES_LORA, adapter], out }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelBuildError);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.partial-'))).toEqual([]);
    return error as ModelBuildError;
  }

  it('a tensor with the wrong shape names the tensor and the base module', async () => {
    const bad = tensors.map((t) => (t.name === Q0_B ? { ...t, shape: [32, 4], data: t.data.subarray(0, 128) } : t));
    const error = await refused('wrong-shape', bad);
    expect(error.code).toBe('INVALID_ADAPTER');
    expect(error.message).toContain(Q0_B);
    expect(error.message).toContain('model.layers.0.self_attn.q_proj.weight is [64, 64]');
  });

  it('an unknown module is refused', async () => {
    const extra = tensors
      .filter((t) => t.name.startsWith('base_model.model.model.layers.0.self_attn.q_proj'))
      .map((t) => ({ ...t, name: t.name.replace('q_proj', 'qkv_fused') }));
    const error = await refused('unknown-module', [...tensors, ...extra]);
    expect(error.message).toMatch(
      /base_model\.model\.model\.layers\.0\.self_attn\.qkv_fused\.lora_A\.weight adapts model\.layers\.0\.self_attn\.qkv_fused, which the base model .* does not have/,
    );
  });

  it('an adapter for a different base (more layers, wider model) is refused', async () => {
    const deeper = tensors
      .filter((t) => t.name.includes('.layers.0.'))
      .map((t) => ({ ...t, name: t.name.replace('.layers.0.', '.layers.7.') }));
    expect((await refused('deeper-base', [...tensors, ...deeper])).message).toMatch(/layers\.7\..* does not have/);
    const wider = tensors.map((t) =>
      t.name.endsWith('lora_A.weight') && t.shape[1] === 64 ? { ...t, shape: [4, 128], data: new Float32Array(4 * 128) } : t,
    );
    const error = await refused('wider-base', wider);
    expect(error.message).toMatch(/is \[4, 128\] but base .* is \[\d+, 64\] .*different base model/);
  });

  it('a rank mismatch between lora_A, lora_B and adapter_config.json is refused', async () => {
    const mismatched = tensors.map((t) => (t.name === Q0_A ? { ...t, shape: [2, 64], data: t.data.subarray(0, 128) } : t));
    expect((await refused('rank-ab', mismatched)).message).toMatch(/rank mismatch in model\.layers\.0\.self_attn\.q_proj/);
    const error = await refused('rank-config', tensors, { ...storiesLoraConfig(), r: 8 });
    expect(error.message).toContain(`rank mismatch: ${Q0_A.replace('q_proj', 'down_proj').replace('layers.0.self_attn', 'layers.0.mlp')}`);
    expect((await refused('rank-pattern', tensors, { ...storiesLoraConfig(), rank_pattern: { v_proj: 16 } })).message).toMatch(
      /v_proj\.lora_A\.weight has rank 4, adapter_config\.json says 16/,
    );
  });

  it('a lone lora_A, a non-LoRA tensor and an embedding adapter are refused', async () => {
    expect(
      (
        await refused(
          'lone-a',
          tensors.filter((t) => t.name !== Q0_B),
        )
      ).message,
    ).toMatch(/has lora_A but no lora_B/);
    expect(
      (await refused('stray', [...tensors, { name: 'base_model.model.model.norm.weight', shape: [64], data: new Float32Array(64) }]))
        .message,
    ).toMatch(/model\.norm\.weight is not a LoRA/);
    const embedding = { name: 'base_model.model.model.embed_tokens.lora_embedding_A', shape: [4, 512], data: new Float32Array(2048) };
    expect((await refused('embedding', [...tensors, embedding])).code).toBe('UNSUPPORTED');
  });

  it('adapter_model.bin is refused with a clear message', async () => {
    const dir = join(tmp.dir, 'pickled');
    writeAdapter(dir, tensors, storiesLoraConfig());
    writeFileSync(join(dir, 'adapter_model.bin'), 'PK');
    rmSync(join(dir, 'adapter_model.safetensors'));
    const error = await buildModel({ from: STORIES, adapters: [dir], out: join(tmp.dir, 'pickled-model') }).then(
      () => undefined,
      (e: unknown) => e as ModelBuildError,
    );
    expect(error?.code).toBe('UNSUPPORTED');
    expect(error?.message).toMatch(/adapter_model\.bin is a PyTorch pickle.*adapter_model\.safetensors/);
  });

  it('wrong numbers of scales, and a missing adapter, are refused', async () => {
    const twoScales = buildModel({ from: STORIES, adapters: [STORIES_LORA], loraScale: [1, 2], out: join(tmp.dir, 'x') });
    await expect(twoScales).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(buildModel({ from: STORIES, adapters: [join(tmp.dir, 'none')], out: join(tmp.dir, 'y') })).rejects.toMatchObject({
      code: 'INPUT_NOT_FOUND',
    });
  });
});
