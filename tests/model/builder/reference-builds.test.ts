import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel, loadLanguageModel } from '../../../model/index.js';
import { tempDir } from '../../helpers/paths.js';
import {
  CASES,
  greedy,
  REFERENCE,
  STORIES,
  STORIES_LLAMA2C,
  STORIES_LORA,
  STORIES_SAFETENSORS,
  storiesLoraConfig,
  readAllTensors,
  writeAdapter,
} from './fixtures.js';

// The built graphs against reference.json (an independent numpy forward pass): exact ids.
describe('models built from the stories260k checkpoints reproduce the reference', () => {
  const tmp = tempDir('galen-build-ref-');
  afterAll(() => tmp.cleanup());

  it('from model.safetensors: base_greedy for both prompts', async () => {
    const report = await buildModel({ from: STORIES_SAFETENSORS, out: join(tmp.dir, 'base') });
    expect(report).toMatchObject({ dtype: 'fp32', externalData: false, adapters: [] });
    expect(report.architecture).toMatchObject({ numLayers: 5, numKeyValueHeads: 4, headDim: 8, tieWordEmbeddings: true });
    const ids = await greedy(join(tmp.dir, 'base'));
    for (const c of CASES) expect(ids[c]).toEqual(REFERENCE[c].base_greedy);
  });

  it('with --lora lora-test merged: lora_greedy for both prompts', async () => {
    const report = await buildModel({ from: STORIES, adapters: [STORIES_LORA], out: join(tmp.dir, 'lora') });
    expect(report.adapters).toEqual([{ path: STORIES_LORA, modules: 35, factor: 1 }]);
    const ids = await greedy(join(tmp.dir, 'lora'));
    for (const c of CASES) expect(ids[c]).toEqual(REFERENCE[c].lora_greedy);
  });

  it('from llama2c/stories260K.bin (interleaved RoPE): base_greedy for both prompts', async () => {
    await buildModel({ from: STORIES_LLAMA2C, tokenizer: STORIES, out: join(tmp.dir, 'llama2c') });
    const ids = await greedy(join(tmp.dir, 'llama2c'));
    for (const c of CASES) expect(ids[c]).toEqual(REFERENCE[c].base_greedy);
  });

  it('an adapter at --lora-scale 0 leaves the base model', async () => {
    await buildModel({ from: STORIES, adapters: [STORIES_LORA], loraScale: 0, out: join(tmp.dir, 'scale0') });
    expect((await greedy(join(tmp.dir, 'scale0'))).bos).toEqual(REFERENCE.bos.base_greedy);
  });

  it('stacks adapters in order: the same adapter twice at scale 0.5 equals it once', async () => {
    await buildModel({ from: STORIES, adapters: [STORIES_LORA, STORIES_LORA], loraScale: 0.5, out: join(tmp.dir, 'stacked') });
    const ids = await greedy(join(tmp.dir, 'stacked'));
    for (const c of CASES) expect(ids[c]).toEqual(REFERENCE[c].lora_greedy);
  });

  it('rsLoRA scales by alpha/√r, and alpha_pattern / rank_pattern apply per module', async () => {
    const tensors = readAllTensors(join(STORIES_LORA, 'adapter_model.safetensors'));
    // r = 4: rsLoRA with alpha 4 gives 4/√4 = 2 = the plain adapter's 8/4.
    const rs = writeAdapter(join(tmp.dir, 'rslora'), tensors, { ...storiesLoraConfig(), lora_alpha: 4, use_rslora: true });
    await buildModel({ from: STORIES, adapters: [rs], out: join(tmp.dir, 'rs-model') });
    expect((await greedy(join(tmp.dir, 'rs-model'))).lily).toEqual(REFERENCE.lily.lora_greedy);
    // alpha_pattern zeroing the MLP updates gives exactly the weights of an attention-only adapter.
    const patterned = writeAdapter(join(tmp.dir, 'patterned'), tensors, {
      ...storiesLoraConfig(),
      alpha_pattern: { gate_proj: 0, up_proj: 0, down_proj: 0 },
      rank_pattern: { q_proj: 4 },
    });
    const attention = writeAdapter(
      join(tmp.dir, 'attention'),
      tensors.filter((t) => t.name.includes('self_attn')),
      storiesLoraConfig(),
    );
    const report = await buildModel({ from: STORIES, adapters: [patterned], out: join(tmp.dir, 'patterned-model') });
    expect(report.adapters[0]!.modules).toBe(35);
    await buildModel({ from: STORIES, adapters: [attention], out: join(tmp.dir, 'attention-model') });
    await buildModel({ from: STORIES, out: join(tmp.dir, 'plain-model') });
    const graph = (name: string) => readFileSync(join(tmp.dir, name, 'onnx', 'model.onnx'));
    expect(graph('patterned-model').equals(graph('attention-model'))).toBe(true);
    expect(graph('patterned-model').equals(graph('plain-model'))).toBe(false);
  });

  it('fan_in_fan_out is ignored for nn.Linear projections, as PEFT does, with a warning', async () => {
    const tensors = readAllTensors(join(STORIES_LORA, 'adapter_model.safetensors'));
    const adapter = writeAdapter(join(tmp.dir, 'fan-in-fan-out'), tensors, { ...storiesLoraConfig(), fan_in_fan_out: true });
    const warnings: string[] = [];
    await buildModel({ from: STORIES, adapters: [adapter], out: join(tmp.dir, 'fan-model'), onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/fan_in_fan_out is set, but LLaMA projections are nn\.Linear/)]);
    const graph = (name: string) => readFileSync(join(tmp.dir, name, 'onnx', 'model.onnx'));
    expect(graph('fan-model').equals(graph('lora'))).toBe(true);
  });

  describe('batched decoding on a built model', () => {
    let model: Awaited<ReturnType<typeof loadLanguageModel>>;
    beforeAll(async () => {
      await buildModel({ from: STORIES_SAFETENSORS, out: join(tmp.dir, 'batched') });
      model = await loadLanguageModel(join(tmp.dir, 'batched'), { maxBatchSize: 8 });
    });
    afterAll(() => model.close());

    it('left-padded batches of different lengths and positions keep every row exact', async () => {
      const runs = await Promise.all([
        model.generate({ tokenIds: REFERENCE.lily.prompt_ids }, { maxNewTokens: 48, temperature: 0 }),
        model.generate({ tokenIds: REFERENCE.bos.prompt_ids }, { maxNewTokens: 48, temperature: 0 }),
        model.generate('Once upon a time there was a big dog named Max. Max liked to run', { maxNewTokens: 20, temperature: 0.8, seed: 4 }),
        model.generate({ tokenIds: REFERENCE.lily.prompt_ids }, { maxNewTokens: 48, temperature: 0, prefillChunkTokens: 1 }),
        model.generate({ tokenIds: REFERENCE.bos.prompt_ids }, { maxNewTokens: 48, temperature: 0, prefillChunkTokens: 3 }),
      ]);
      expect(runs[0]!.tokens).toEqual(REFERENCE.lily.base_greedy);
      expect(runs[1]!.tokens).toEqual(REFERENCE.bos.base_greedy);
      expect(runs[3]!.tokens).toEqual(REFERENCE.lily.base_greedy);
      expect(runs[4]!.tokens).toEqual(REFERENCE.bos.base_greedy);
      expect(model.stats.maxBatch).toBeGreaterThanOrEqual(3);
    });
  });
});
