import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, ModelError, type ModelConfig } from '../../model/index.js';
import { GraphRunner } from '../../model/generation/graph-runner.js';
import { readGraphSignature } from '../../model/generation/graph-signature.js';
import { KvCache } from '../../model/generation/kv-cache.js';
import { inspectKvGraph } from '../../model/generation/kv-graph.js';
import { copyStoriesInto, REFERENCE, STORIES } from './fixtures.js';

const { onnx } = onnxProto;
const GRAPH = join(STORIES, 'onnx', 'model.onnx');

describe('inspectKvGraph', () => {
  it("names each layer's Concat(past, new) second input and adds it as an output, weights untouched", async () => {
    const original = readFileSync(GRAPH);
    const { presentLayout, exposed } = inspectKvGraph(new Uint8Array(original), { expose: true });
    expect(presentLayout).toBe('concat');
    expect(exposed!.names).toHaveLength(5);
    const nodes = onnx.ModelProto.decode(original).graph!.node!;
    for (const [i, [key, value]] of exposed!.names.entries()) {
      expect(nodes.find((n) => n.output![0] === `present.${i}.key`)!.input).toEqual([`past_key_values.${i}.key`, key]);
      expect(nodes.find((n) => n.output![0] === `present.${i}.value`)!.input).toEqual([`past_key_values.${i}.value`, value]);
    }
    // The original bytes come first, unchanged; a second graph field with only the outputs follows.
    expect(Buffer.from(exposed!.bytes!.subarray(0, original.length)).equals(original)).toBe(true);
    const tail = onnx.ModelProto.decode(exposed!.bytes!.subarray(original.length));
    expect(tail.graph!.output!.map((o) => o.name)).toEqual(exposed!.names.flat());
    expect(tail.graph!.node).toEqual([]);
    // onnxruntime merges the two graph fields: the old outputs, then the new ones.
    const session = await InferenceSession.create(exposed!.bytes!);
    try {
      expect(session.outputNames).toEqual([
        ...onnx.ModelProto.decode(original).graph!.output!.map((o) => o.name),
        ...exposed!.names.flat(),
      ]);
    } finally {
      await session.release();
    }
  });

  it('appends in place when the buffer has room after the file', () => {
    const original = readFileSync(GRAPH);
    const roomy = new Uint8Array(original.length + 4096);
    roomy.set(original);
    const { exposed } = inspectKvGraph(roomy, { expose: true, fileLength: original.length });
    expect(exposed!.bytes!.buffer).toBe(roomy.buffer);
    expect(exposed!.bytes!.length).toBeGreaterThan(original.length);
    expect(inspectKvGraph(roomy, { expose: false, fileLength: original.length }).exposed).toBeUndefined();
  });
});

describe('a graph whose present.* is not Concat(past, new)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'galen-present-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is run fetching present.* whole, and stays exact', async () => {
    copyStoriesInto(dir);
    // present.0.key now comes out of an Identity after the Concat.
    const model = onnx.ModelProto.decode(readFileSync(GRAPH));
    const concat = model.graph!.node!.find((n) => n.output![0] === 'present.0.key')!;
    concat.output = ['present.0.key.concat'];
    model.graph!.node!.push({
      opType: 'Identity',
      input: ['present.0.key.concat'],
      output: ['present.0.key'],
      name: 'present_0_key_identity',
    });
    writeFileSync(join(dir, 'onnx', 'model.onnx'), onnx.ModelProto.encode(model).finish());

    expect(inspectKvGraph(readFileSync(join(dir, 'onnx', 'model.onnx')), { expose: true })).toEqual({
      presentLayout: 'concat',
      sharedBuffer: false,
      exposed: undefined,
    });
    const lm = await loadLanguageModel(dir);
    try {
      expect(lm.kvOutputs).toBe('present');
      const results = await Promise.all(
        [REFERENCE.lily, REFERENCE.bos].map((ref) => lm.generate({ tokenIds: ref.prompt_ids }, { maxNewTokens: 48, temperature: 0 })),
      );
      expect(results[0]!.tokens).toEqual(REFERENCE.lily.base_greedy);
      expect(results[1]!.tokens).toEqual(REFERENCE.bos.base_greedy);
    } finally {
      await lm.close();
    }
  });
});

// A one-layer decoder whose present.* comes out of onnxruntime's GroupQueryAttention, wired as
// onnxruntime-genai exports it (seqlens_k = sum(attention_mask) − 1, total length = mask width).
const V = 11;
const D = 8;
function groupQueryAttentionGraph(
  presentOp: 'GroupQueryAttention' | 'GroupQueryAttention+Identity' | 'Add' = 'GroupQueryAttention',
): Uint8Array {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const floats = (name: string, dims: number[]) => ({
    name,
    dataType: 1,
    dims,
    floatData: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, random),
  });
  const ints = (name: string, values: number[]) => ({ name, dataType: 7, dims: [values.length], int64Data: values });
  const value = (name: string, elemType: number, dims: Array<number | string>) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const node = (opType: string, input: string[], output: string[], attribute: onnxProto.onnx.IAttributeProto[] = [], domain = '') => ({
    opType,
    input,
    output,
    attribute,
    domain,
    name: output[0],
  });
  // '+Identity': present.0.key is the attention's output passed through an Identity.
  const viaIdentity = presentOp === 'GroupQueryAttention+Identity';
  const attention =
    presentOp !== 'Add'
      ? [
          node(
            'GroupQueryAttention',
            ['q', 'k', 'v', 'past_key_values.0.key', 'past_key_values.0.value', 'seqlens_k', 'total'],
            ['context', viaIdentity ? 'present.0.key.gqa' : 'present.0.key', 'present.0.value'],
            [
              { name: 'num_heads', type: 2, i: 1 },
              { name: 'kv_num_heads', type: 2, i: 1 },
            ],
            'com.microsoft',
          ),
          ...(viaIdentity ? [node('Identity', ['present.0.key.gqa'], ['present.0.key'])] : []),
        ]
      : [
          node('Identity', ['q'], ['context']),
          node('Add', ['past_key_values.0.key', 'k'], ['present.0.key']),
          node('Add', ['past_key_values.0.value', 'v'], ['present.0.value']),
        ];
  const graph = {
    name: 'gqa',
    initializer: [
      floats('Eq', [V, D]),
      floats('Ek', [V, D]),
      floats('Ev', [V, D]),
      floats('W', [D, V]),
      ints('one', [1]),
      ints('axis1', [1]),
      ints('index1', [1]),
    ],
    input: [
      value('input_ids', 7, ['b', 's']),
      value('attention_mask', 7, ['b', 't']),
      value('position_ids', 7, ['b', 's']),
      value('past_key_values.0.key', 1, ['b', 1, 'p', D]),
      value('past_key_values.0.value', 1, ['b', 1, 'p', D]),
    ],
    output: [value('logits', 1, ['b', 's', V]), value('present.0.key', 1, ['b', 1, 'q', D]), value('present.0.value', 1, ['b', 1, 'q', D])],
    node: [
      node('Gather', ['Eq', 'input_ids'], ['q']),
      node('Gather', ['Ek', 'input_ids'], ['k']),
      node('Gather', ['Ev', 'input_ids'], ['v']),
      node('ReduceSum', ['attention_mask', 'axis1'], ['maskSum'], [{ name: 'keepdims', type: 2, i: 0 }]),
      node('Sub', ['maskSum', 'one'], ['maskSum1']),
      node('Cast', ['maskSum1'], ['seqlens_k'], [{ name: 'to', type: 2, i: 6 }]),
      node('Shape', ['attention_mask'], ['maskShape']),
      node('Gather', ['maskShape', 'index1'], ['total64'], [{ name: 'axis', type: 2, i: 0 }]),
      node('Cast', ['total64'], ['total'], [{ name: 'to', type: 2, i: 6 }]),
      ...attention,
      node('MatMul', ['context', 'W'], ['logits']),
    ],
  };
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph,
  }).finish();
}

const tensor = (values: number[], dims: number[]) => new Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

/** Logits of each token of `ids` run alone, one at a time, feeding present.* back whole: the reference. */
async function alone(session: InferenceSession, ids: number[]): Promise<Float32Array[]> {
  return (await aloneWithCache(session, ids)).logits;
}

/** {@link alone}, and the last present.0.key, `[1, 1, ids.length, D]`. */
async function aloneWithCache(session: InferenceSession, ids: number[]): Promise<{ logits: Float32Array[]; key: Float32Array }> {
  let past: Record<string, Tensor> = {
    'past_key_values.0.key': new Tensor('float32', new Float32Array(0), [1, 1, 0, D]),
    'past_key_values.0.value': new Tensor('float32', new Float32Array(0), [1, 1, 0, D]),
  };
  const logits: Float32Array[] = [];
  for (const [t, id] of ids.entries()) {
    const out = await session.run({
      input_ids: tensor([id], [1, 1]),
      attention_mask: tensor(Array(t + 1).fill(1), [1, t + 1]),
      position_ids: tensor([t], [1, 1]),
      ...past,
    });
    past = { 'past_key_values.0.key': out['present.0.key']!, 'past_key_values.0.value': out['present.0.value']! };
    logits.push(out['logits']!.data as Float32Array);
  }
  return { logits, key: past['past_key_values.0.key']!.data as Float32Array };
}

describe('a GroupQueryAttention graph (onnxruntime-genai layout)', () => {
  const config = { numLayers: 1, numKeyValueHeads: 1, headDim: D } as ModelConfig;

  it("is recognised: new positions after each row's own length, nothing exposed, past and present shareable", () => {
    expect(inspectKvGraph(groupQueryAttentionGraph(), { expose: true })).toEqual({
      presentLayout: 'row-length',
      sharedBuffer: true,
      exposed: undefined,
    });
    // Through an Identity, present.0.key is another tensor than the attention's: it cannot be bound to the past.
    expect(inspectKvGraph(groupQueryAttentionGraph('GroupQueryAttention+Identity'), { expose: true })).toEqual({
      presentLayout: 'row-length',
      sharedBuffer: false,
      exposed: undefined,
    });
  });

  it('with a shared buffer, onnxruntime writes the new positions into the cache itself (present.* bound to the past)', async () => {
    const session = await InferenceSession.create(groupQueryAttentionGraph());
    try {
      const signature = readGraphSignature(session, config, 'gqa', { presentLayout: 'row-length', sharedBuffer: true });
      expect(signature.sharedBuffer).toBe(true);
      const ids = [1, 5, 3, 7, 2];
      const { key: reference } = await aloneWithCache(session, ids);
      const cache = new KvCache(signature, { growth: 4 });
      cache.addRow();
      for (const [t, id] of ids.entries()) {
        cache.prepare(1);
        expect(cache.span(1)).toBe(cache.capacity); // one fixed shape: the mask spans the capacity alone
        const feeds: Record<string, Tensor> = {
          input_ids: tensor([id], [1, 1]),
          attention_mask: new Tensor('int64', cache.attentionMask(1), [1, cache.span(1)]),
          position_ids: tensor([t], [1, 1]),
        };
        const fetches: Record<string, Tensor | null> = { logits: null };
        cache.addFeeds(feeds, fetches);
        expect(fetches['present.0.key']).toBe(feeds['past_key_values.0.key']);
        expect(fetches['present.0.value']).toBe(feeds['past_key_values.0.value']);
        await session.run(feeds, fetches); // a bare run: nothing is appended by Galen
        cache.advance(1);
      }
      const held = new Float32Array(ids.length * D);
      const feeds: Record<string, Tensor> = {};
      cache.addFeeds(feeds);
      held.set((feeds['past_key_values.0.key']!.data as Float32Array).subarray(0, ids.length * D));
      expect(Array.from(held)).toEqual(Array.from(reference));
    } finally {
      await session.release();
    }
  });

  for (const sharedBuffer of [false, true])
    it(`decodes exactly, alone and batched with a row of another length (${sharedBuffer ? 'shared past/present buffer' : 'present.* fetched'})`, async () => {
      await decodesExactly(sharedBuffer);
    });

  async function decodesExactly(sharedBuffer: boolean): Promise<void> {
    const session = await InferenceSession.create(groupQueryAttentionGraph());
    try {
      const runner = new GraphRunner(session, readGraphSignature(session, config, 'gqa', { presentLayout: 'row-length', sharedBuffer }));
      const a = [1, 5, 3, 7, 2, 9, 4, 6, 10, 8];
      const b = [2, 9, 4, 6, 8, 10, 3, 5, 7, 1];
      const [refA, refB] = [await alone(session, a), await alone(session, b)];
      const close = (x: Float32Array, y: Float32Array) => expect(Math.max(...x.map((v, i) => Math.abs(v - y[i]!)))).toBeLessThan(1e-5);

      // Alone, token by token, across capacity growth (steps of 4).
      const single = new KvCache(runner.signature, { growth: 4 });
      single.addRow();
      for (const [t, id] of a.entries()) close((await runner.run({ inputIds: [id], sequenceLength: 1, cache: single }))[0]!, refA[t]!);

      // Prompts of 3 and 6 tokens prefilled alone, then decoded together in one batch.
      const batch = new KvCache(runner.signature, { growth: 4 });
      for (const [ids, ref] of [
        [a.slice(0, 3), refA],
        [b.slice(0, 6), refB],
      ] as const) {
        const own = new KvCache(runner.signature, { growth: 4 });
        own.addRow();
        close((await runner.run({ inputIds: ids, sequenceLength: ids.length, cache: own }))[0]!, ref[ids.length - 1]!);
        batch.addRowFrom(own, 0);
      }
      for (let step = 0; step < 4; step++) {
        const logits = await runner.run({ inputIds: [a[3 + step]!, b[6 + step]!], sequenceLength: 1, cache: batch });
        close(logits[0]!, refA[3 + step]!);
        close(logits[1]!, refB[6 + step]!);
      }
    } finally {
      await session.release();
    }
  }

  it('a present.* made by another op is refused at load, naming it', () => {
    let error: unknown;
    try {
      inspectKvGraph(groupQueryAttentionGraph('Add'), { expose: true, path: 'm/onnx/model.onnx' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({
      code: 'INVALID_MODEL',
      message: expect.stringMatching(/m\/onnx\/model\.onnx: present\.0\.key is made by Add/),
    });
  });
});
