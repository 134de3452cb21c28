import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingError, lightStem, LsaEmbedder, randomizedSvd, tokenizeTerms } from '../../model/embedding/index.js';
import { symmetricEigen } from '../../model/embedding/dense-linear-algebra.js';
import { SHARED_DATA, tempDir } from '../helpers/paths.js';

// A real corpus: 400 PubMed abstracts, plus Chinese medical text for the CJK path.
const abstracts = readFileSync(join(SHARED_DATA, 'pubmedqa', 'pqal_abstracts.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 400)
  .map((line) => JSON.stringify(JSON.parse(line)));
const chinese = readFileSync(join(SHARED_DATA, 'medicalgpt-zh', 'medical_corpus.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim().length > 20)
  .slice(0, 100);
const corpus = [...abstracts, ...chinese];
const options = { dimension: 48 };
const tmp = tempDir();
let lsa: LsaEmbedder;

beforeAll(() => {
  lsa = LsaEmbedder.fit(corpus, options);
});
afterAll(() => tmp.cleanup());

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('term tokenizer', () => {
  it('lower-cases, drops stopwords and folds plurals only', () => {
    expect(tokenizeTerms('What are the Therapies for Kidney DISEASES?')).toEqual(['therapy', 'kidney', 'disease']);
    expect(['virus', 'glass', 'diagnosis', 'arthritis', 'gout'].map(lightStem)).toEqual([
      'virus',
      'glass',
      'diagnosis',
      'arthritis',
      'gout',
    ]);
  });

  it('splits CJK runs into character bigrams, also inside mixed words', () => {
    expect(tokenizeTerms('糖尿病的症状')).toEqual(['糖尿', '尿病', '病的', '的症', '症状']);
    expect(tokenizeTerms('COVID19感染')).toEqual(['covid19', '感染']);
    expect(tokenizeTerms('肝')).toEqual(['肝']);
  });

  it('accepts any string', () => {
    for (const text of ['', '   ', '🩺💊🫀', '\u0000\uffff\ud800', 'x'.repeat(200_000)])
      expect(Array.isArray(tokenizeTerms(text))).toBe(true);
  });
});

describe('randomized SVD', () => {
  it('finds the singular values of a small matrix to high accuracy', () => {
    // A 60 × 30 sparse-ish matrix with a decaying spectrum, compared with the exact eigenvalues of AᵀA.
    const rows = 60;
    const columns = 30;
    const dense = new Float64Array(rows * columns);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < columns; j++) if ((i * 7 + j * 13) % 5 < 2) dense[i * columns + j] = Math.sin(i + 2 * j) / (1 + j);
    const rowStart = new Int32Array(rows + 1);
    const columnIndex: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < columns; j++) if (dense[i * columns + j] !== 0) columnIndex.push(j), values.push(dense[i * columns + j]!);
      rowStart[i + 1] = columnIndex.length;
    }
    const matrix = { rows, columns, rowStart, columnIndex: Int32Array.from(columnIndex), values: Float64Array.from(values) };
    const ata = new Float64Array(columns * columns);
    for (let a = 0; a < columns; a++)
      for (let b = 0; b < columns; b++)
        for (let i = 0; i < rows; i++) ata[a * columns + b]! += dense[i * columns + a]! * dense[i * columns + b]!;
    const exact = symmetricEigen(ata, columns).values.map((v) => Math.sqrt(Math.max(0, v)));
    const svd = randomizedSvd(matrix, { rank: 8, oversampling: 10, powerIterations: 2, seed: 3 });
    for (let k = 0; k < 8; k++) expect(svd.singularValues[k]!).toBeCloseTo(exact[k]!, 8);
    // Right singular vectors are orthonormal.
    for (let a = 0; a < 8; a++) {
      for (let b = 0; b < 8; b++) {
        let dot = 0;
        for (let t = 0; t < columns; t++) dot += svd.rightVectors[t * 8 + a]! * svd.rightVectors[t * 8 + b]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 9);
      }
    }
  });
});

describe('LSA embedder', () => {
  it('is deterministic: the same texts and options give a bit-identical model and id', async () => {
    const again = LsaEmbedder.fit(corpus, options);
    expect(again.id).toBe(lsa.id);
    expect(lsa.id).toMatch(/^lsa-v1:[0-9a-f]{16}$/);
    const [a] = await lsa.embed([corpus[5]!]);
    const [b] = await again.embed([corpus[5]!]);
    expect(Buffer.from(a!.buffer).equals(Buffer.from(b!.buffer))).toBe(true);
    // Another seed is another model.
    expect(LsaEmbedder.fit(corpus, { ...options, seed: 2 }).id).not.toBe(lsa.id);
  });

  it('round-trips through save and load exactly', async () => {
    const file = join(tmp.dir, 'lsa.model');
    await lsa.save(file);
    const loaded = await LsaEmbedder.load(file);
    expect(loaded.id).toBe(lsa.id);
    expect(loaded.dimension).toBe(48);
    expect(loaded.vocabularySize).toBe(lsa.vocabularySize);
    const texts = [corpus[0]!, chinese[3]!, 'what causes gout?'];
    const before = await lsa.embed(texts);
    const after = await loaded.embed(texts);
    before.forEach((v, i) => expect(Buffer.from(v.buffer).equals(Buffer.from(after[i]!.buffer))).toBe(true));
  });

  it('refuses a corrupted, truncated or missing model file with a typed error', async () => {
    const file = join(tmp.dir, 'corrupt.model');
    await lsa.save(file);
    const bytes = readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(file, bytes);
    await expect(LsaEmbedder.load(file)).rejects.toMatchObject({ code: 'INVALID_MODEL_FILE' });
    writeFileSync(file, bytes.subarray(0, 1000));
    await expect(LsaEmbedder.load(file)).rejects.toMatchObject({ code: 'INVALID_MODEL_FILE' });
    writeFileSync(file, 'hello');
    await expect(LsaEmbedder.load(file)).rejects.toBeInstanceOf(EmbeddingError);
    await expect(LsaEmbedder.load(join(tmp.dir, 'nope.model'))).rejects.toMatchObject({ code: 'MODEL_FILE_NOT_FOUND' });
  });

  it('returns unit vectors that place a text nearest to itself', async () => {
    const vectors = await lsa.embed(corpus.slice(0, 50));
    for (const v of vectors) expect(norm(v)).toBeCloseTo(1, 5);
    // A shortened version of abstract 7 is closer to abstract 7 than to any other of the first 50.
    const [query] = await lsa.embed([corpus[7]!.slice(0, 600)]);
    const best = vectors.map((v, i) => [cosine(query!, v), i] as const).sort((a, b) => b[0] - a[0])[0]!;
    expect(best[1]).toBe(7);
  });

  it('embeds hostile texts without failing: empty, 10,000 characters, emoji, CJK, control characters', async () => {
    const texts = [
      '',
      ' ',
      'a'.repeat(10_000),
      'pain '.repeat(2_000),
      '🩺💊🫀😷',
      '糖尿病的症状是什么？',
      '\u0000\u0007\ud800',
      'DROP TABLE chunks; --',
    ];
    const vectors = await lsa.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toHaveLength(48);
      expect(v.every(Number.isFinite)).toBe(true);
      const n = norm(v);
      expect(n === 0 || Math.abs(n - 1) < 1e-5).toBe(true);
    }
    expect(norm(vectors[0]!)).toBe(0);
    expect(norm(vectors[3]!)).toBeCloseTo(1, 5);
    expect(norm(vectors[5]!)).toBeCloseTo(1, 5);
  });

  it('validates options and refuses a corpus without usable terms', () => {
    expect(() => LsaEmbedder.fit(corpus, { dimension: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => LsaEmbedder.fit(['', '🙂'])).toThrow(expect.objectContaining({ code: 'EMPTY_CORPUS' }));
  });

  it('lowers the dimension to what a tiny corpus supports', async () => {
    const tiny = LsaEmbedder.fit(['gout uric acid joint pain', 'gout joint swelling', 'asthma wheeze inhaler', 'asthma inhaler steroid'], {
      dimension: 256,
    });
    expect(tiny.dimension).toBeLessThanOrEqual(4);
    const [v] = await tiny.embed(['gout']);
    expect(v).toHaveLength(tiny.dimension);
  });
});
