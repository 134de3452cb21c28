import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, loadLanguageModel, ModelError } from '../../../model/index.js';
import { ElementType, OnnxGraph } from '../../../model/builder/onnx-graph.js';
import { INLINE_WEIGHTS_LIMIT, writeOnnxModel } from '../../../model/builder/onnx-model-writer.js';
import { readOnnxOutline } from '../../../model/generation/onnx-outline.js';
import { tempDir } from '../../helpers/paths.js';
import { REFERENCE, STORIES, STORIES_SAFETENSORS } from './fixtures.js';

const { onnx } = onnxProto;
const SHARED_GRAPH = join(STORIES, 'onnx', 'model.onnx');

/** Feeds for a first run (empty past) of a stories260k-shaped graph over `ids`. */
function firstRunFeeds(ids: readonly number[]): Record<string, ort.Tensor> {
  const n = ids.length;
  const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, n]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64([...ids]),
    attention_mask: int64(ids.map(() => 1)),
    position_ids: int64(ids.map((_, i) => i)),
  };
  for (let i = 0; i < 5; i++)
    for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 8]);
  return feeds;
}

describe('the graph a build writes', () => {
  const tmp = tempDir('galen-graph-loading-');
  const built = join(tmp.dir, 'built');
  beforeAll(async () => {
    await buildModel({ from: STORIES_SAFETENSORS, out: built });
  });
  afterAll(() => tmp.cleanup());

  it("outputs the last position's logits only, equal to the export's, and the new keys and values alone", async () => {
    const ids = REFERENCE.lily.prompt_ids;
    const ours = await ort.InferenceSession.create(join(built, 'onnx', 'model.onnx'));
    const theirs = await ort.InferenceSession.create(SHARED_GRAPH);
    try {
      expect(ours.outputNames).toEqual(expect.arrayContaining(['logits', 'present.4.value', 'new.0.key', 'new.4.value']));
      const a = await ours.run(firstRunFeeds(ids));
      const b = await theirs.run(firstRunFeeds(ids));
      expect(a.logits!.dims).toEqual([1, 1, 512]);
      expect(b.logits!.dims).toEqual([1, ids.length, 512]);
      const last = (b.logits!.data as Float32Array).subarray((ids.length - 1) * 512);
      const mine = a.logits!.data as Float32Array;
      for (let v = 0; v < 512; v++) expect(Math.abs(mine[v]! - last[v]!)).toBeLessThan(1e-4);
      // The new keys are present.* itself on a first run.
      expect(a['new.2.key']!.dims).toEqual([1, 4, ids.length, 8]);
      expect([...(a['new.2.key']!.data as Float32Array)]).toEqual([...(a['present.2.key']!.data as Float32Array)]);
    } finally {
      await ours.release();
      await theirs.release();
    }
  });

  it('is loaded from its path, fetching only the new keys and values, and stays exact', async () => {
    const model = await loadLanguageModel(built);
    try {
      expect(model.kvOutputs).toBe('new');
      expect(model.graphEdited).toBe(false);
      const r = await model.generate({ tokenIds: REFERENCE.lily.prompt_ids }, { maxNewTokens: 48, temperature: 0, prefillChunkTokens: 5 });
      expect(r.tokens).toEqual(REFERENCE.lily.base_greedy);
    } finally {
      await model.close();
    }
  });

  it('a foreign graph is edited in memory for the new keys and values, and loaded from its path without', async () => {
    for (const [kvOutputs, edited] of [
      ['new', true],
      ['present', false],
    ] as const) {
      const model = await loadLanguageModel(STORIES, { kvOutputs });
      try {
        expect(model.graphEdited).toBe(edited);
      } finally {
        await model.close();
      }
    }
  });
});

describe('readOnnxOutline', () => {
  const tmp = tempDir('galen-outline-');
  afterAll(() => tmp.cleanup());

  it("gives the nodes, inputs, outputs and initializers' names, types and dims without their data", () => {
    const outline = readOnnxOutline(SHARED_GRAPH);
    const full = onnx.ModelProto.decode(new Uint8Array(readFileSync(SHARED_GRAPH)));
    const slim = onnx.ModelProto.decode(outline);
    expect(full.graph!.initializer!.length).toBeGreaterThan(0);
    const head = (t: onnxProto.onnx.ITensorProto) => ({ name: t.name, dataType: t.dataType, dims: t.dims!.map(Number) });
    expect(slim.graph!.initializer!.map(head)).toEqual(full.graph!.initializer!.map(head));
    for (const t of slim.graph!.initializer!) {
      expect(t.rawData!.length + t.floatData!.length + t.int64Data!.length + t.int32Data!.length).toBe(0);
      expect(t.externalData).toEqual([]);
    }
    expect(slim.graph!.node).toEqual(full.graph!.node);
    expect(slim.graph!.input).toEqual(full.graph!.input);
    expect(slim.graph!.output).toEqual(full.graph!.output);
    expect(slim.opsetImport).toEqual(full.opsetImport);
    expect(outline.length).toBeLessThan(statSync(SHARED_GRAPH).size / 4);
  });

  it('refuses a file that is not protobuf', () => {
    const bad = join(tmp.dir, 'bad.onnx');
    writeFileSync(bad, Buffer.from([0x3a, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]));
    expect(() => readOnnxOutline(bad)).toThrow(ModelError);
    expect(() => readOnnxOutline(bad)).toThrow(/not an ONNX model/);
  });
});

describe("externalData 'auto'", () => {
  const tmp = tempDir('galen-auto-external-');
  afterAll(() => tmp.cleanup());

  const graphOf = (bytes: number): OnnxGraph => {
    const g = new OnnxGraph('one_weight');
    const w = g.weight({
      name: 'w',
      dims: [bytes],
      dataType: ElementType.UINT8,
      byteLength: bytes,
      produce: () => new Uint8Array(bytes),
    });
    g.output(g.op('Identity', [w]), 'y', ElementType.UINT8, [bytes]);
    return g;
  };

  it('keeps weights inside the graph up to the limit and puts them beside it past it', async () => {
    const small = await writeOnnxModel({ path: join(tmp.dir, 'small.onnx'), graph: graphOf(1024), opsets: { '': 17 } });
    expect(small.externalDataFile).toBeUndefined();
    const large = await writeOnnxModel({ path: join(tmp.dir, 'large.onnx'), graph: graphOf(INLINE_WEIGHTS_LIMIT + 1), opsets: { '': 17 } });
    expect(large.externalDataFile).toBe(join(tmp.dir, 'large.onnx_data'));
    const session = await ort.InferenceSession.create(join(tmp.dir, 'large.onnx'));
    try {
      expect(session.outputNames).toEqual(['y']);
    } finally {
      await session.release();
    }
  });
});
