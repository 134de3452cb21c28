import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, type OnnxLanguageModel } from '../../model/index.js';
import { REFERENCE, STORIES } from './fixtures.js';

// Reproduces reference.json's base greedy ids (numpy forward pass) with onnx/model.onnx, fetching
// only the new keys and values (the graph gets them as extra outputs) and fetching present.* whole.
for (const kvOutputs of ['new', 'present'] as const)
  describe(`stories260k greedy reference (kvOutputs ${kvOutputs})`, () => {
    let model: OnnxLanguageModel;
    beforeAll(async () => {
      model = await loadLanguageModel(STORIES, { kvOutputs });
    });
    afterAll(() => model.close());

    it('reads the KV layout from config.json and the graph', () => {
      expect(model.info).toMatchObject({
        numLayers: 5,
        numKeyValueHeads: 4,
        headDim: 8,
        kvDtype: 'float32',
        contextWindow: 512,
        eosTokenIds: [2],
      });
      expect(model.kvOutputs).toBe(kvOutputs);
    });

    for (const name of ['bos', 'lily'] as const) {
      const ref = REFERENCE[name];
      it(`${name}: whole prompt in one prefill`, async () => {
        const r = await model.generate({ tokenIds: ref.prompt_ids }, { maxNewTokens: ref.base_greedy.length, temperature: 0 });
        expect(r.tokens).toEqual(ref.base_greedy);
        expect(r.finishReason).toBe('length');
        expect(r.promptTokens).toBe(ref.prompt_ids.length);
        expect(r.text).toBe(model.decode(ref.base_greedy));
      });

      it(`${name}: prompt fed token by token`, async () => {
        const r = await model.generate(
          { tokenIds: ref.prompt_ids },
          { maxNewTokens: ref.base_greedy.length, temperature: 0, prefillChunkTokens: 1 },
        );
        expect(r.tokens).toEqual(ref.base_greedy);
      });
    }

    it('prefills in chunks too', async () => {
      const ref = REFERENCE.lily;
      const r = await model.generate({ tokenIds: ref.prompt_ids }, { maxNewTokens: 48, temperature: 0, prefillChunkTokens: 3 });
      expect(r.tokens).toEqual(ref.base_greedy);
    });

    it('encodes the text prompt to the reference ids and continues it identically', async () => {
      expect(model.encode('Lily saw a big red ball and')).toEqual(REFERENCE.lily.prompt_ids);
      const r = await model.generate('Lily saw a big red ball and', { maxNewTokens: 48, temperature: 0 });
      expect(r.tokens).toEqual(REFERENCE.lily.base_greedy);
      expect(r.text).toMatch(/^a small box\. She wanted to play with it, but she did not know what to do\./);
    });

    it('matches the published text from BOS', async () => {
      const r = await model.generate({ tokenIds: [1] }, { maxNewTokens: 48, temperature: 0 });
      expect(r.text).toBe(
        'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to',
      );
      expect(r.timeToFirstTokenMs).toBeGreaterThan(0);
      expect(r.tokensPerSecond).toBeGreaterThan(0);
    });
  });
