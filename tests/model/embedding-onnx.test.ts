import { env as transformersEnv, pipeline } from '@huggingface/transformers';
import { Tokenizer } from '@huggingface/tokenizers';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError, TextTokenizer } from '../../model/index.js';
import {
  DEFAULT_EMBEDDING_BATCH_SIZE,
  loadEmbeddingModel,
  OnnxEmbeddingModel,
  type OnnxEmbeddingOptions,
} from '../../model/embedding/index.js';
import { SHARED, SHARED_DATA, tempDir } from '../helpers/paths.js';
import { MINILM_TOKENIZER, writeTinyBert, type TinyBertOptions } from '../helpers/tiny-bert.js';

const tmp = tempDir('galen-embedding-onnx-');
const open: OnnxEmbeddingModel[] = [];
let modelCount = 0;

/** Writes a tiny BERT into a fresh folder and returns the folder. */
function bertDir(options: TinyBertOptions = {}): string {
  const dir = join(tmp.dir, `m${modelCount++}`);
  writeTinyBert(dir, options);
  return dir;
}

async function load(dir: string, options: OnnxEmbeddingOptions = {}): Promise<OnnxEmbeddingModel> {
  const model = await loadEmbeddingModel(dir, options);
  open.push(model);
  return model;
}

async function loadError(dir: string, options: OnnxEmbeddingOptions = {}): Promise<ModelError> {
  try {
    open.push(await loadEmbeddingModel(dir, options));
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error(`loading ${dir} did not fail`);
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

const tokenizer = new Tokenizer(
  JSON.parse(readFileSync(join(MINILM_TOKENIZER, 'tokenizer.json'), 'utf8')) as object,
  JSON.parse(readFileSync(join(MINILM_TOKENIZER, 'tokenizer_config.json'), 'utf8')) as object,
);

/** Token vectors straight from onnxruntime for one text, tokenised by the library itself. */
async function tokenStates(onnxPath: string, text: string): Promise<{ states: Float32Array; length: number; hidden: number }> {
  const ids = tokenizer.encode(text).ids;
  const session = await ort.InferenceSession.create(onnxPath);
  try {
    const tensor = (values: number[]) =>
      new ort.Tensor(
        'int64',
        BigInt64Array.from(values, (v) => BigInt(v)),
        [1, values.length],
      );
    const feeds: Record<string, ort.Tensor> = { input_ids: tensor(ids), attention_mask: tensor(ids.map(() => 1)) };
    if (session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = tensor(ids.map(() => 0));
    const out = await session.run(feeds);
    const states = out[session.outputNames[0]!]!;
    return { states: states.data as Float32Array, length: ids.length, hidden: states.dims[2]! };
  } finally {
    await session.release();
  }
}

function unit(v: Float64Array): Float32Array {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return Float32Array.from(v, (x) => x / n);
}

const QUESTION = 'What are the symptoms of type 2 diabetes?';
const TEXTS = [
  QUESTION,
  'Gout is a form of inflammatory arthritis characterized by recurrent attacks of a red, tender, hot, and swollen joint, caused by deposition of monosodium urate crystals.',
  'asthma',
  'Hypertension, also known as high blood pressure, is a long-term medical condition in which the blood pressure in the arteries is persistently elevated.',
  '糖尿病的症状有哪些？',
];

let meanDir: string;
let mean: OnnxEmbeddingModel;

beforeAll(async () => {
  meanDir = bertDir({ seed: 7 });
  mean = await load(meanDir);
});

afterAll(async () => {
  for (const m of open) await m.close();
  tmp.cleanup();
});

describe('OnnxEmbeddingModel on a tiny random BERT', () => {
  it('gives one unit float32 vector of the graph dimension per text', async () => {
    expect(mean.dimension).toBe(32);
    expect(mean.info).toMatchObject({
      output: 'last_hidden_state',
      pooling: 'mean',
      hasTokenTypeIds: true,
      batchSize: DEFAULT_EMBEDDING_BATCH_SIZE,
    });
    const vectors = await mean.embed(TEXTS);
    expect(vectors).toHaveLength(TEXTS.length);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(32);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(maxAbsDiff(vectors[0]!, vectors[1]!)).toBeGreaterThan(0.05);
    expect(await mean.embed([])).toEqual([]);
  });

  it('mean pooling is the normalised average of the graph’s token vectors', async () => {
    const { states, length, hidden } = await tokenStates(join(meanDir, 'onnx', 'model.onnx'), QUESTION);
    const sum = new Float64Array(hidden);
    for (let t = 0; t < length; t++) for (let j = 0; j < hidden; j++) sum[j]! += states[t * hidden + j]!;
    const [v] = await mean.embed([QUESTION]);
    expect(maxAbsDiff(v!, unit(sum))).toBeLessThan(1e-5);
  });

  it('CLS pooling from 1_Pooling/config.json is the normalised first token vector, and the option overrides the file', async () => {
    const clsDir = bertDir({ seed: 7, pooling: 'cls' });
    const cls = await load(clsDir);
    expect(cls.info.pooling).toBe('cls');
    const { states, hidden } = await tokenStates(join(clsDir, 'onnx', 'model.onnx'), QUESTION);
    const [v] = await cls.embed([QUESTION]);
    expect(maxAbsDiff(v!, unit(Float64Array.from(states.subarray(0, hidden))))).toBeLessThan(1e-5);
    const [m] = await mean.embed([QUESTION]);
    expect(maxAbsDiff(v!, m!)).toBeGreaterThan(0.05);
    expect(cls.id).not.toBe(mean.id);

    const overridden = await load(clsDir, { pooling: 'mean' });
    expect(maxAbsDiff((await overridden.embed([QUESTION]))[0]!, m!)).toBeLessThan(1e-6);
  });

  it('mean pooling is the default when the directory has no pooling files', async () => {
    const bare = await load(bertDir({ seed: 7, pooling: 'none' }));
    expect(bare.info.pooling).toBe('mean');
    expect(maxAbsDiff((await bare.embed([QUESTION]))[0]!, (await mean.embed([QUESTION]))[0]!)).toBeLessThan(1e-6);
  });

  it('a graph with a pooled sentence_embedding output is used as pooled', async () => {
    const pooled = await load(bertDir({ seed: 7, output: 'sentence_embedding' }));
    expect(pooled.info).toMatchObject({ output: 'sentence_embedding', pooling: undefined });
    const [a, b] = [await pooled.embed(TEXTS), await mean.embed(TEXTS)];
    for (const [i, v] of a.entries()) expect(maxAbsDiff(v, b[i]!)).toBeLessThan(1e-5);
  });

  it('agrees with transformers.js feature extraction on the same directory, mean and CLS', async () => {
    transformersEnv.allowRemoteModels = false;
    transformersEnv.localModelPath = tmp.dir;
    for (const pooling of ['mean', 'cls'] as const) {
      const dir = bertDir({ seed: 11, pooling });
      const extractor = await pipeline('feature-extraction', basename(dir), { dtype: 'fp32', local_files_only: true });
      try {
        const expected = (await extractor(TEXTS, { pooling, normalize: true })).tolist() as number[][];
        const ours = await (await load(dir)).embed(TEXTS);
        for (const [i, v] of ours.entries()) expect(maxAbsDiff(v, Float32Array.from(expected[i]!))).toBeLessThan(1e-5);
      } finally {
        await extractor.dispose();
      }
    }
  });

  it('reads token_embeddings and graphs at model.onnx', async () => {
    const other = await load(bertDir({ seed: 7, output: 'token_embeddings', graphPath: 'model.onnx' }));
    expect(other.info.output).toBe('token_embeddings');
    expect(maxAbsDiff((await other.embed([QUESTION]))[0]!, (await mean.embed([QUESTION]))[0]!)).toBeLessThan(1e-6);
  });

  it('feeds token_type_ids only to graphs that take them', async () => {
    const without = await load(bertDir({ seed: 7, tokenTypeIds: false }));
    expect(without.info.hasTokenTypeIds).toBe(false);
    // Same weights; a single sequence is all token type 0, which the input-less graph adds itself.
    const [a, b] = [await without.embed(TEXTS), await mean.embed(TEXTS)];
    for (const [i, v] of a.entries()) expect(maxAbsDiff(v, b[i]!)).toBeLessThan(1e-6);
  });

  it('feeds position_ids and int32 inputs to graphs that take them', async () => {
    const explicit = await load(bertDir({ seed: 7, positionIds: true, integerInputs: 'int32' }));
    const [a, b] = [await explicit.embed(TEXTS), await mean.embed(TEXTS)];
    for (const [i, v] of a.entries()) expect(maxAbsDiff(v, b[i]!)).toBeLessThan(1e-6);
  });

  it('is deterministic and its id names the model, not the folder', async () => {
    const again = await load(meanDir);
    expect(again.id).toBe(mean.id);
    expect(mean.id).toMatch(/^onnx:tiny-bert-32x2:[0-9a-f]{16}$/);
    expect(await again.embed(TEXTS)).toEqual(await mean.embed(TEXTS));
    const copy = join(tmp.dir, 'copied');
    cpSync(meanDir, copy, { recursive: true });
    expect((await load(copy)).id).toBe(mean.id);
    expect((await load(bertDir({ seed: 8 }))).id).not.toBe(mean.id);
    expect((await load(meanDir, { maxSequenceLength: 64 })).id).not.toBe(mean.id);
  });

  it('pads without changing vectors: a text alone equals it in a batch of longer texts', async () => {
    const long = [TEXTS[1]!, TEXTS[3]!, `${TEXTS[3]} ${TEXTS[1]}`];
    const [alone] = await mean.embed(['asthma']);
    const batched = await mean.embed([...long, 'asthma', QUESTION]);
    expect(maxAbsDiff(batched[3]!, alone!)).toBeLessThan(1e-5);
    const one = await load(meanDir, { batchSize: 1 });
    const singly = await one.embed([...long, 'asthma', QUESTION]);
    for (const [i, v] of singly.entries()) expect(maxAbsDiff(v, batched[i]!)).toBeLessThan(1e-5);
  });

  it('truncates long texts to max_seq_length tokens, special tokens included', async () => {
    const short = await load(bertDir({ seed: 7, maxSeqLength: 16 }));
    expect(short.info.maxSequenceLength).toBe(16);
    // Each of these words is one WordPiece token, so 14 words and 2 special tokens fill 16.
    const words = Array.from({ length: 40 }, (_, i) => ['heart', 'blood', 'pain', 'fever', 'cough'][i % 5]);
    const [full, prefix, shorter] = await short.embed([words.join(' '), words.slice(0, 14).join(' '), words.slice(0, 13).join(' ')]);
    expect(maxAbsDiff(full!, prefix!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(full!, shorter!)).toBeGreaterThan(1e-3);

    const huge = `${QUESTION} `.repeat(200_000);
    const [v] = await mean.embed([huge]);
    expect(norm(v!)).toBeCloseTo(1, 5);
    expect(mean.info.maxSequenceLength).toBe(512);
  });

  it('never throws for any string content; texts without tokens get the zero vector', async () => {
    const hostile = [
      '',
      '   \n\t ',
      '\u0000\u0001\u200b',
      '\ud800 lone surrogate \udfff',
      '[CLS] [SEP] [PAD] [MASK] [UNK]',
      '😀🩺💊 '.repeat(50),
      'مرحبا بالعالم',
      'x'.repeat(100_000),
      '<script>alert(1)</script>',
    ];
    const vectors = await mean.embed(hostile);
    expect(vectors).toHaveLength(hostile.length);
    expect(Array.from(vectors[0]!)).toEqual(new Array(32).fill(0));
    expect(Array.from(vectors[1]!)).toEqual(new Array(32).fill(0));
    for (const v of vectors.slice(3)) expect(norm(v)).toBeCloseTo(1, 5);
  });
});

describe('loading errors', () => {
  it('a missing directory, tokenizer or graph is MODEL_NOT_FOUND naming it', async () => {
    const missing = await loadError(join(tmp.dir, 'nowhere'));
    expect(missing.code).toBe('MODEL_NOT_FOUND');
    expect(missing.message).toContain('nowhere');

    const noTokenizer = bertDir();
    rmSync(join(noTokenizer, 'tokenizer.json'));
    const e1 = await loadError(noTokenizer);
    expect(e1.code).toBe('MODEL_NOT_FOUND');
    expect(e1.message).toContain('tokenizer.json');

    const noGraph = bertDir();
    rmSync(join(noGraph, 'onnx'), { recursive: true });
    const e2 = await loadError(noGraph);
    expect(e2.code).toBe('MODEL_NOT_FOUND');
    expect(e2.message).toContain('model.onnx');
  });

  it('malformed files and unsupported models are INVALID_MODEL naming the problem', async () => {
    const badJson = bertDir();
    writeFileSync(join(badJson, 'config.json'), '{ not json');
    expect((await loadError(badJson)).message).toMatch(/config\.json is not valid JSON/);

    const maxPooling = bertDir();
    writeFileSync(join(maxPooling, '1_Pooling', 'config.json'), JSON.stringify({ pooling_mode_max_tokens: true }));
    const e = await loadError(maxPooling);
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toMatch(/1_Pooling\/config\.json: pooling mode max_tokens is not supported/);

    const dense = bertDir();
    const modules = JSON.parse(readFileSync(join(dense, 'modules.json'), 'utf8')) as object[];
    writeFileSync(
      join(dense, 'modules.json'),
      JSON.stringify([...modules, { idx: 3, name: '3', path: '3_Dense', type: 'sentence_transformers.models.Dense' }]),
    );
    expect((await loadError(dense)).message).toMatch(/Dense modules/);

    const cross = bertDir({ head: 'classifier' });
    const e3 = await loadError(cross);
    expect(e3.code).toBe('INVALID_MODEL');
    expect(e3.message).toMatch(/none of the outputs sentence_embedding, last_hidden_state, token_embeddings \(it has logits\)/);

    const garbage = bertDir();
    writeFileSync(join(garbage, 'onnx', 'model.onnx'), 'not a graph');
    const e4 = await loadError(garbage);
    expect(e4.code).toBe('INVALID_MODEL');
    expect(e4.message).toContain('model.onnx');
  });

  it('bad options are INVALID_OPTIONS', async () => {
    expect((await loadError(meanDir, { batchSize: 0 })).code).toBe('INVALID_OPTIONS');
    const tooLong = await loadError(meanDir, { maxSequenceLength: 513 });
    expect(tooLong.code).toBe('INVALID_OPTIONS');
    expect(tooLong.message).toMatch(/3…512/);
    expect((await loadError(meanDir, { maxSequenceLength: 2 })).code).toBe('INVALID_OPTIONS');
  });

  it('CUDA is used when its provider libraries load, else a clear error or, when allowed, CPU with a warning', async () => {
    const binding = join(
      dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')),
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
    );
    const installed = existsSync(join(binding, 'libonnxruntime_providers_cuda.so'));
    const warnings: string[] = [];
    let strict: OnnxEmbeddingModel | ModelError;
    try {
      strict = await load(meanDir, { executionProvider: 'cuda' });
    } catch (e) {
      strict = e as ModelError;
    }
    if (strict instanceof OnnxEmbeddingModel) {
      expect(strict.info.executionProvider).toBe('cuda');
      expect(maxAbsDiff((await strict.embed([QUESTION]))[0]!, (await mean.embed([QUESTION]))[0]!)).toBeLessThan(1e-4);
    } else {
      expect(strict).toBeInstanceOf(ModelError);
      expect(strict.code).toBe('EXECUTION_PROVIDER_UNAVAILABLE');
      expect(strict.message).toContain('npm run install:cuda');
      if (!installed) expect(strict.message).toContain('libonnxruntime_providers_cuda.so');
      const fallback = await load(meanDir, { executionProvider: 'cuda', allowCpuFallback: true, onWarning: (m) => warnings.push(m) });
      expect(fallback.info.executionProvider).toBe('cpu');
      expect(warnings[0]).toMatch(/CUDA.*falling back to CPU/);
      expect(await fallback.embed([QUESTION])).toEqual(await mean.embed([QUESTION]));
    }
  });
});

describe('TextTokenizer.encodeTruncated', () => {
  const readTokenizer = (dir: string) =>
    [join(dir, 'tokenizer.json'), join(dir, 'tokenizer_config.json')].map(
      (f) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>,
    ) as [Record<string, unknown>, Record<string, unknown>];
  const abstracts = readFileSync(join(SHARED_DATA, 'pubmedqa', 'pqal_abstracts.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, 30)
    .map((line) => JSON.stringify(JSON.parse(line)).slice(0, 600));

  it('encodes texts and pairs as the library does when nothing is cut (WordPiece with a template, BPE without)', () => {
    for (const dir of [MINILM_TOKENIZER, join(SHARED, 'models', 'tokenizers', 'smollm')]) {
      const [json, config] = readTokenizer(dir);
      const ours = new TextTokenizer(json, config);
      const library = new Tokenizer(json, config);
      for (const [i, text] of abstracts.entries()) {
        expect(ours.encodeTruncated(text, { maxLength: 100_000 }).ids).toEqual(library.encode(text).ids);
        const pair = abstracts[(i + 1) % abstracts.length]!;
        const expected = library.encode(text, { text_pair: pair, return_token_type_ids: true });
        const encoded = ours.encodeTruncated(text, { pair, maxLength: 100_000 });
        expect(encoded.ids).toEqual(expected.ids);
        if (dir === MINILM_TOKENIZER) expect(encoded.typeIds).toEqual(expected.token_type_ids);
      }
    }
  });

  it('cuts the pair first, then the text, keeping the special tokens', () => {
    const ours = new TextTokenizer(...readTokenizer(MINILM_TOKENIZER));
    const text = 'heart blood pain fever';
    const pair = 'cough liver lung kidney bone skin';
    expect(ours.encodeTruncated(text, { pair, maxLength: 10 })).toEqual({
      ids: [
        101,
        ...tokenizer.encode(text, { add_special_tokens: false }).ids,
        102,
        ...tokenizer.encode('cough liver lung', { add_special_tokens: false }).ids,
        102,
      ],
      typeIds: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
      contentLength: 7,
    });
    expect(ours.encodeTruncated(text, { pair, maxLength: 5 }).ids).toEqual([
      101,
      ...tokenizer.encode('heart blood', { add_special_tokens: false }).ids,
      102,
      102,
    ]);
    expect(ours.encodeTruncated('', { maxLength: 5 })).toEqual({ ids: [101, 102], typeIds: [0, 0], contentLength: 0 });
    const huge = ours.encodeTruncated('fever '.repeat(1_000_000), { maxLength: 8 });
    expect(huge.ids).toEqual([101, ...new Array(6).fill(tokenizer.encode('fever', { add_special_tokens: false }).ids[0]), 102]);
  });
});
