import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLanguageModel } from '../../model/index.js';
import { exposeNewKeyValues } from '../../model/generation/new-kv-outputs.js';
import { REFERENCE, STORIES } from './fixtures.js';

const { onnx } = onnxProto;
const GRAPH = join(STORIES, 'onnx', 'model.onnx');

describe('exposeNewKeyValues', () => {
  it("names each layer's Concat(past, new) second input and adds it as an output, weights untouched", async () => {
    const original = readFileSync(GRAPH);
    const exposed = exposeNewKeyValues(new Uint8Array(original))!;
    expect(exposed.names).toHaveLength(5);
    const nodes = onnx.ModelProto.decode(original).graph!.node!;
    for (const [i, [key, value]] of exposed.names.entries()) {
      expect(nodes.find((n) => n.output![0] === `present.${i}.key`)!.input).toEqual([`past_key_values.${i}.key`, key]);
      expect(nodes.find((n) => n.output![0] === `present.${i}.value`)!.input).toEqual([`past_key_values.${i}.value`, value]);
    }
    // The original bytes come first, unchanged; a second graph field with only the outputs follows.
    expect(Buffer.from(exposed.bytes.subarray(0, original.length)).equals(original)).toBe(true);
    const tail = onnx.ModelProto.decode(exposed.bytes.subarray(original.length));
    expect(tail.graph!.output!.map((o) => o.name)).toEqual(exposed.names.flat());
    expect(tail.graph!.node).toEqual([]);
    // onnxruntime merges the two graph fields: the old outputs, then the new ones.
    const session = await InferenceSession.create(exposed.bytes);
    try {
      expect(session.outputNames).toEqual([...onnx.ModelProto.decode(original).graph!.output!.map((o) => o.name), ...exposed.names.flat()]);
    } finally {
      await session.release();
    }
  });

  it('appends in place when the buffer has room after the file', () => {
    const original = readFileSync(GRAPH);
    const roomy = new Uint8Array(original.length + 4096);
    roomy.set(original);
    const exposed = exposeNewKeyValues(roomy, original.length)!;
    expect(exposed.bytes.buffer).toBe(roomy.buffer);
    expect(exposed.bytes.length).toBeGreaterThan(original.length);
  });
});

describe('a graph whose present.* is not Concat(past, new)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'galen-present-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is run fetching present.* whole, and stays exact', async () => {
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx']) cpSync(join(STORIES, f), join(dir, f), { recursive: true });
    // present.0.key now comes out of an Identity after the Concat.
    const model = onnx.ModelProto.decode(readFileSync(GRAPH));
    const concat = model.graph!.node!.find((n) => n.output![0] === 'present.0.key')!;
    concat.output = ['present.0.key.concat'];
    model.graph!.node!.push({ opType: 'Identity', input: ['present.0.key.concat'], output: ['present.0.key'], name: 'present_0_key_identity' });
    writeFileSync(join(dir, 'onnx', 'model.onnx'), onnx.ModelProto.encode(model).finish());

    expect(exposeNewKeyValues(readFileSync(join(dir, 'onnx', 'model.onnx')))).toBeUndefined();
    const lm = await loadLanguageModel(dir);
    try {
      expect(lm.kvOutputs).toBe('present');
      const results = await Promise.all([REFERENCE.lily, REFERENCE.bos].map((ref) => lm.generate({ tokenIds: ref.prompt_ids }, { maxNewTokens: 48, temperature: 0 })));
      expect(results[0]!.tokens).toEqual(REFERENCE.lily.base_greedy);
      expect(results[1]!.tokens).toEqual(REFERENCE.bos.base_greedy);
    } finally {
      await lm.close();
    }
  });
});
