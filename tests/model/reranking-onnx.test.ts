import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../model/index.js';
import {
  DEFAULT_RERANKING_BATCH_SIZE,
  loadRerankingModel,
  type OnnxRerankingModel,
  type OnnxRerankingOptions,
} from '../../model/reranking/index.js';
import { tempDir } from '../helpers/paths.js';
import { MINILM_TOKENIZER, writeTinyBert, type TinyBert, type TinyBertOptions } from '../helpers/tiny-bert.js';

const tmp = tempDir('galen-reranking-onnx-');
const open: OnnxRerankingModel[] = [];
let modelCount = 0;

function crossEncoder(options: TinyBertOptions = {}): TinyBert {
  return writeTinyBert(join(tmp.dir, `m${modelCount++}`), { head: 'classifier', ...options });
}

async function load(dir: string, options: OnnxRerankingOptions = {}): Promise<OnnxRerankingModel> {
  const model = await loadRerankingModel(dir, options);
  open.push(model);
  return model;
}

async function loadError(dir: string, options: OnnxRerankingOptions = {}): Promise<ModelError> {
  try {
    open.push(await loadRerankingModel(dir, options));
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error(`loading ${dir} did not fail`);
}

const tokenizer = new Tokenizer(
  JSON.parse(readFileSync(join(MINILM_TOKENIZER, 'tokenizer.json'), 'utf8')) as object,
  JSON.parse(readFileSync(join(MINILM_TOKENIZER, 'tokenizer_config.json'), 'utf8')) as object,
);

/** erf to ~1e-7 (Numerical Recipes' Chebyshev fit of erfc); JavaScript has no Math.erf. */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc : erfc - 1;
}

/** `x · W + b` for `rows` rows of width `n` into width `m` (W row-major `[n, m]`), in float64. */
function dense(x: Float64Array, rows: number, n: number, m: number, w: Float32Array, b: Float32Array): Float64Array {
  const y = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      let s = b[j]!;
      for (let k = 0; k < n; k++) s += x[r * n + k]! * w[k * m + j]!;
      y[r * m + j] = s;
    }
  }
  return y;
}

function layerNorm(x: Float64Array, rows: number, n: number, gamma: Float32Array, beta: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    const mean = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    for (let j = 0; j < n; j++) y[r * n + j] = ((row[j]! - mean) / Math.sqrt(variance + eps)) * gamma[j]! + beta[j]!;
  }
  return y;
}

/**
 * The BERT cross-encoder forward pass written out plainly in float64, for one unpadded input:
 * what the tiny BERT's graph is meant to compute.
 */
function referenceLogits(bert: TinyBert, ids: number[], types: number[]): number[] {
  const { hidden: h, heads, intermediate, weights: w, layerNormEps: eps } = bert;
  const s = ids.length;
  const d = h / heads;
  let x: Float64Array = new Float64Array(s * h);
  for (let t = 0; t < s; t++) {
    for (let j = 0; j < h; j++) {
      x[t * h + j] = w.wordEmbeddings[ids[t]! * h + j]! + w.positionEmbeddings[t * h + j]! + w.tokenTypeEmbeddings[types[t]! * h + j]!;
    }
  }
  x = layerNorm(x, s, h, w.embLnGamma, w.embLnBeta, eps);
  for (const l of w.layers) {
    const q = dense(x, s, h, h, l.wq, l.bq);
    const k = dense(x, s, h, h, l.wk, l.bk);
    const v = dense(x, s, h, h, l.wv, l.bv);
    const context = new Float64Array(s * h);
    for (let head = 0; head < heads; head++) {
      for (let i = 0; i < s; i++) {
        const scores = Array.from({ length: s }, (_, j) => {
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q[i * h + head * d + c]! * k[j * h + head * d + c]!;
          return dot / Math.sqrt(d);
        });
        const top = Math.max(...scores);
        const e = scores.map((z) => Math.exp(z - top));
        const total = e.reduce((a, b) => a + b, 0);
        for (let c = 0; c < d; c++) {
          let sum = 0;
          for (let j = 0; j < s; j++) sum += (e[j]! / total) * v[j * h + head * d + c]!;
          context[i * h + head * d + c] = sum;
        }
      }
    }
    const attended = dense(context, s, h, h, l.wo, l.bo);
    x = layerNorm(
      attended.map((a, i) => a + x[i]!),
      s,
      h,
      l.ln1Gamma,
      l.ln1Beta,
      eps,
    );
    const up = dense(x, s, h, intermediate, l.w1, l.b1).map((u) => 0.5 * u * (1 + erf(u / Math.SQRT2)));
    const down = dense(up, s, intermediate, h, l.w2, l.b2);
    x = layerNorm(
      down.map((a, i) => a + x[i]!),
      s,
      h,
      l.ln2Gamma,
      l.ln2Beta,
      eps,
    );
  }
  const pooled = dense(x.subarray(0, h), 1, h, h, w.pooler!.w, w.pooler!.b).map(Math.tanh);
  return Array.from(dense(pooled, 1, h, bert.numLabels, w.classifier!.w, w.classifier!.b));
}

function referencePair(bert: TinyBert, query: string, passage: string): number[] {
  const encoded = tokenizer.encode(query, { text_pair: passage, return_token_type_ids: true });
  return referenceLogits(bert, encoded.ids, encoded.token_type_ids);
}

const QUERY = 'What causes gout?';
const PASSAGES = [
  'Gout is caused by high levels of uric acid in the blood, which forms crystals in the joints.',
  'Asthma is a long-term inflammatory disease of the airways of the lungs.',
  'gout',
  'Risk factors for gout include obesity, alcohol, a diet rich in meat and seafood, certain medications and kidney disease; the first attack often affects the big toe.',
  '',
  '痛风是由尿酸引起的。',
  'Hypertension is persistently elevated blood pressure in the arteries.',
];

let single: TinyBert;
let reranker: OnnxRerankingModel;

beforeAll(async () => {
  single = crossEncoder({ seed: 3 });
  reranker = await load(single.dir);
});

afterAll(async () => {
  for (const m of open) await m.close();
  tmp.cleanup();
});

describe('OnnxRerankingModel on a tiny random BERT cross-encoder', () => {
  it('matches a plain JavaScript forward pass of the same weights on a (query, passage) pair', async () => {
    expect(reranker.info).toMatchObject({
      numLabels: 1,
      hasTokenTypeIds: true,
      batchSize: DEFAULT_RERANKING_BATCH_SIZE,
      maxSequenceLength: 512,
    });
    const scores = await reranker.score(QUERY, PASSAGES.slice(0, 2));
    for (const [i, passage] of PASSAGES.slice(0, 2).entries()) {
      const [expected] = referencePair(single, QUERY, passage);
      expect(Math.abs(scores[i]! - expected!)).toBeLessThan(1e-4);
    }
    // The pair matters, not just the passage: the query changes the score.
    const [other] = await reranker.score('What is asthma?', [PASSAGES[0]!]);
    expect(Math.abs(other! - scores[0]!)).toBeGreaterThan(1e-3);
  });

  it('scores a batch exactly as one by one, in the caller’s order', async () => {
    const small = await load(single.dir, { batchSize: 3 });
    const batched = await small.score(QUERY, PASSAGES);
    expect(batched).toHaveLength(PASSAGES.length);
    for (const [i, passage] of PASSAGES.entries()) {
      const [alone] = await reranker.score(QUERY, [passage]);
      expect(Math.abs(batched[i]! - alone!)).toBeLessThan(1e-5);
    }
    expect(new Set(batched.map((s) => s.toFixed(4))).size).toBe(PASSAGES.length);
  });

  it('takes the positive class of a two-label head as its log-odds', async () => {
    const two = crossEncoder({ seed: 4, numLabels: 2 });
    const model = await load(two.dir);
    expect(model.info.numLabels).toBe(2);
    const scores = await model.score(QUERY, PASSAGES.slice(0, 3));
    for (const [i, passage] of PASSAGES.slice(0, 3).entries()) {
      const [negative, positive] = referencePair(two, QUERY, passage);
      expect(Math.abs(scores[i]! - (positive! - negative!))).toBeLessThan(1e-4);
    }
  });

  it('works for graphs without token_type_ids', async () => {
    const noTypes = crossEncoder({ seed: 3, tokenTypeIds: false });
    const model = await load(noTypes.dir);
    expect(model.info.hasTokenTypeIds).toBe(false);
    const [score] = await model.score(QUERY, [PASSAGES[0]!]);
    const encoded = tokenizer.encode(QUERY, { text_pair: PASSAGES[0]! });
    const [expected] = referenceLogits(
      noTypes,
      encoded.ids,
      encoded.ids.map(() => 0),
    );
    expect(Math.abs(score! - expected!)).toBeLessThan(1e-4);
  });

  it('truncates the passage first, then the query, to maxSequenceLength', async () => {
    const short = await load(single.dir, { maxSequenceLength: 24 });
    // One WordPiece token per word: [CLS] query [SEP] passage [SEP] in 24 tokens leaves this many passage words.
    const room = 24 - 3 - tokenizer.encode(QUERY, { add_special_tokens: false }).ids.length;
    const words = Array.from({ length: 60 }, (_, i) => ['heart', 'blood', 'pain', 'fever', 'cough', 'liver'][i % 6]);
    const [cut, kept, fewer] = await short.score(QUERY, [
      words.join(' '),
      words.slice(0, room).join(' '),
      words.slice(0, room - 1).join(' '),
    ]);
    expect(Math.abs(cut! - kept!)).toBeLessThan(1e-5);
    expect(Math.abs(cut! - fewer!)).toBeGreaterThan(1e-4);
    const [expected] = referencePair(single, QUERY, words.slice(0, room).join(' '));
    expect(Math.abs(cut! - expected!)).toBeLessThan(1e-4);

    // A query longer than the whole budget is cut too, leaving the passage nothing.
    const [longQuery, longQueryOtherPassage] = await short.score(words.join(' '), ['gout', 'asthma']);
    expect(Number.isFinite(longQuery)).toBe(true);
    expect(longQuery).toBe(longQueryOtherPassage);
  });

  it('never throws for any string content and gives an empty list for no passages', async () => {
    expect(await reranker.score(QUERY, [])).toEqual([]);
    const hostile = ['', '\u0000\ud800', '[SEP][CLS]', '😀'.repeat(5000), 'x'.repeat(200_000), `${QUERY} `.repeat(100_000)];
    const scores = await reranker.score('\udfff [SEP]', hostile);
    expect(scores).toHaveLength(hostile.length);
    for (const s of scores) expect(Number.isFinite(s)).toBe(true);
    expect((await reranker.score('', ['']))[0]).toSatisfy(Number.isFinite);
  });

  it('stops between batches when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    await expect(reranker.score(QUERY, PASSAGES, { signal: controller.signal })).rejects.toThrow('client went away');
  });

  it('has a stable id naming the model and its truncation', async () => {
    expect(reranker.id).toMatch(/^onnx:tiny-bert-32x2:[0-9a-f]{16}$/);
    expect((await load(single.dir)).id).toBe(reranker.id);
    expect((await load(single.dir, { maxSequenceLength: 128 })).id).not.toBe(reranker.id);
  });
});

describe('loading errors', () => {
  it('a missing tokenizer or graph is MODEL_NOT_FOUND naming it', async () => {
    const noTokenizer = crossEncoder();
    rmSync(join(noTokenizer.dir, 'tokenizer.json'));
    const e = await loadError(noTokenizer.dir);
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toContain('tokenizer.json');

    const noGraph = crossEncoder();
    rmSync(noGraph.onnxPath);
    expect((await loadError(noGraph.dir)).message).toContain('model.onnx');
    expect((await loadError(noGraph.dir, { onnxFile: 'onnx/model_quantized.onnx' })).message).toContain('model_quantized.onnx');
  });

  it('an encoder without logits, or logits of another width, is INVALID_MODEL', async () => {
    const encoder = writeTinyBert(join(tmp.dir, 'plain-encoder'));
    const e = await loadError(encoder.dir);
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toMatch(/no output logits \(it has last_hidden_state\)/);

    const three = crossEncoder({ numLabels: 3 });
    const e3 = await loadError(three.dir);
    expect(e3.code).toBe('INVALID_MODEL');
    expect(e3.message).toMatch(/logits must be \[batch, 1\] or \[batch, 2\] \(got \[1, 3\]\)/);
  });

  it('bad options are INVALID_OPTIONS', async () => {
    expect((await loadError(single.dir, { batchSize: 1.5 })).code).toBe('INVALID_OPTIONS');
    const e = await loadError(single.dir, { maxSequenceLength: 3 });
    expect(e.code).toBe('INVALID_OPTIONS');
    expect(e.message).toMatch(/4…512/);
  });
});
