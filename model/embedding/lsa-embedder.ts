import type { EmbeddingModel } from './embedding-model.js';
import { EmbeddingError } from './errors.js';
import { writeFileAtomic } from '../files/index.js';
import { decodeLsaModel, encodeLsaModel, readModelFile, type LsaParameters } from './lsa-model-file.js';
import { randomizedSvd } from './randomized-svd.js';
import type { SparseMatrix } from './sparse-matrix.js';
import { tokenizeTerms } from './term-tokenizer.js';

/** Options of {@link LsaEmbedder.fit}. Every one is part of the model's id. */
export interface LsaOptions {
  /** Embedding dimension (SVD rank); lowered to what a small corpus supports. Default 256. */
  dimension?: number;
  /**
   * Vocabulary cap: the terms kept are the `maxTerms` with the highest document frequency among
   * those within the bounds below. Rare terms cannot shape a latent dimension anyway, and the
   * projection (terms × dimension float32) is most of the model's size. Default 30,000 (30 MB at
   * dimension 256).
   */
  maxTerms?: number;
  /** Terms in fewer texts are dropped (typos, ids). Default 2. */
  minDocumentFrequency?: number;
  /** Terms in more than this share of the texts are dropped (function words the stoplist missed). Default 0.5. */
  maxDocumentFrequencyRatio?: number;
  /** Power iterations of the randomized SVD. Default 2. */
  powerIterations?: number;
  /** Extra sketch columns of the randomized SVD. Default 10. */
  oversampling?: number;
  /** Seed of the randomized SVD's Gaussian sketch. Default 1. */
  seed?: number;
  /**
   * Each component of an embedding is scaled by its singular value to this power before the final
   * normalisation: 0 weighs all latent dimensions equally, 1 is the classic `U Σ` document
   * representation, −1 the "folding-in" `Σ⁻¹ Vᵀ q`. Default −0.5: on the shared corpus (dimension
   * 256) document MRR@10 of LSA alone was, for powers 1 / 0.5 / 0 / −0.5: PubMedQA dev 0.265 / 0.371 /
   * 0.439 / 0.473, MedQuAD questions 0.118 / 0.143 / 0.160 / 0.181 (down-weighting the top components,
   * which mostly encode text genre, helps topical matching).
   */
  singularValuePower?: number;
}

/** The defaults of {@link LsaOptions}. */
export const DEFAULT_LSA_OPTIONS: Readonly<Required<LsaOptions>> = Object.freeze({
  dimension: 256,
  maxTerms: 30_000,
  minDocumentFrequency: 2,
  maxDocumentFrequencyRatio: 0.5,
  powerIterations: 2,
  oversampling: 10,
  seed: 1,
  singularValuePower: -0.5,
});

/** Texts embedded between yields to the event loop, so embedding a corpus never stalls a server for long. */
const EMBED_BATCH = 256;

/**
 * Galen's built-in embedder, needing no outside weights: latent semantic analysis. A TF-IDF
 * matrix (sublinear tf `1 + ln tf`, smoothed idf `ln((1 + n) / (1 + df)) + 1`, rows L2-normalised)
 * over the terms of {@link tokenizeTerms} is factored by a seeded randomized truncated SVD; a text
 * is embedded by projecting its TF-IDF vector onto the top right singular vectors. Terms that
 * co-occur land close together, so "heart attack" can find "myocardial infarction" text when
 * BM25 needs the literal words.
 *
 * Deterministic: the same texts (in the same order) and options give a bit-identical model and
 * id; `save` and `load` round-trip it exactly.
 *
 * @example
 * const lsa = LsaEmbedder.fit(chunkTexts, { dimension: 256 });
 * await lsa.save('./data/lsa.model');
 * const [v] = await (await LsaEmbedder.load('./data/lsa.model')).embed(['what causes gout?']);
 */
export class LsaEmbedder implements EmbeddingModel {
  readonly id: string;
  readonly dimension: number;
  private readonly termIndex: Map<string, number>;

  private constructor(
    private readonly parameters: LsaParameters,
    private readonly encoded: Buffer,
    digest: string,
  ) {
    this.id = `lsa-v1:${digest.slice(0, 16)}`;
    this.dimension = parameters.componentWeights.length;
    this.termIndex = new Map(parameters.terms.map((t, i) => [t, i]));
  }

  /** Number of terms in the vocabulary. */
  get vocabularySize(): number {
    return this.parameters.terms.length;
  }

  /** Number of texts the model was fitted on. */
  get documents(): number {
    return this.parameters.documents;
  }

  /**
   * Fits a model on `texts`, synchronously: 24–30 s for the 53,058 chunks of the shared corpus
   * (45 M characters, 30,000 terms, dimension 256) on one core of the build machine, so run it at
   * start-up, from the CLI or in a worker, never on the request path. Throws `EMPTY_CORPUS` when no
   * text has a term that passes the vocabulary bounds.
   */
  static fit(texts: readonly string[], options: LsaOptions = {}): LsaEmbedder {
    const o = resolveOptions(options);
    const n = texts.length;

    // One tokenising pass: per-text term counts under provisional ids, and document frequencies.
    const provisional = new Map<string, number>();
    const df: number[] = [];
    const rows: Array<{ ids: Int32Array; counts: Int32Array }> = [];
    for (const text of texts) {
      const counts = new Map<number, number>();
      for (const term of tokenizeTerms(text)) {
        let id = provisional.get(term);
        if (id === undefined) {
          id = df.length;
          provisional.set(term, id);
          df.push(0);
        }
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      for (const id of counts.keys()) df[id]!++;
      rows.push({ ids: Int32Array.from(counts.keys()), counts: Int32Array.from(counts.values()) });
    }

    const maxDf = Math.max(o.minDocumentFrequency, Math.floor(o.maxDocumentFrequencyRatio * n));
    const candidates = [...provisional].filter(([, id]) => df[id]! >= o.minDocumentFrequency && df[id]! <= maxDf);
    // Highest df first, ties by code-unit order of the term: a total order, so the vocabulary is deterministic.
    candidates.sort((a, b) => df[b[1]]! - df[a[1]]! || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const kept = candidates.slice(0, o.maxTerms);
    if (kept.length === 0) {
      throw new EmbeddingError(
        'EMPTY_CORPUS',
        `No term occurs in at least ${o.minDocumentFrequency} of the ${n} texts; LSA needs a corpus to fit on.`,
      );
    }
    const vocabularyId = new Int32Array(df.length).fill(-1);
    kept.forEach(([, id], v) => (vocabularyId[id] = v));
    const idf = Float32Array.from(kept, ([, id]) => Math.log((1 + n) / (1 + df[id]!)) + 1);

    const matrix = buildTfidf(rows, vocabularyId, idf);
    const svd = randomizedSvd(matrix, {
      rank: Math.min(o.dimension, kept.length, n),
      oversampling: o.oversampling,
      powerIterations: o.powerIterations,
      seed: o.seed,
    });
    const top = svd.singularValues[0] || 1;
    const componentWeights = Float32Array.from(svd.singularValues, (s) => (s > 0 ? (s / top) ** o.singularValuePower : 0));
    const parameters: LsaParameters = {
      options: { ...o },
      documents: n,
      terms: kept.map(([term]) => term),
      idf,
      componentWeights,
      projection: Float32Array.from(svd.rightVectors),
    };
    const { bytes, digest } = encodeLsaModel(parameters);
    return new LsaEmbedder(parameters, bytes, digest);
  }

  /** Loads a model written by {@link save}; throws `MODEL_FILE_NOT_FOUND` or `INVALID_MODEL_FILE`. */
  static async load(file: string): Promise<LsaEmbedder> {
    const bytes = await readModelFile(file);
    const { parameters, digest } = decodeLsaModel(bytes, file);
    return new LsaEmbedder(parameters, bytes, digest);
  }

  /** Writes the model to `file` atomically (temporary file, fsync, rename). */
  async save(file: string): Promise<void> {
    await writeFileAtomic(file, this.encoded);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i++) {
      if (i > 0 && i % EMBED_BATCH === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      out.push(this.embedOne(texts[i]!));
    }
    return out;
  }

  /** Embeds one text synchronously (what {@link embed} does per text). */
  embedOne(text: string): Float32Array {
    const { idf, projection, componentWeights } = this.parameters;
    const d = this.dimension;
    const counts = new Map<number, number>();
    for (const term of tokenizeTerms(String(text))) {
      const id = this.termIndex.get(term);
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const acc = new Float64Array(d);
    for (const [id, count] of counts) {
      const w = (1 + Math.log(count)) * idf[id]!;
      const o = id * d;
      for (let j = 0; j < d; j++) acc[j]! += w * projection[o + j]!;
    }
    // The TF-IDF vector's own norm cancels in the final normalisation, so it is never computed.
    let norm = 0;
    for (let j = 0; j < d; j++) {
      acc[j]! *= componentWeights[j]!;
      norm += acc[j]! * acc[j]!;
    }
    const vector = new Float32Array(d);
    if (norm === 0) return vector;
    const scale = 1 / Math.sqrt(norm);
    for (let j = 0; j < d; j++) vector[j] = acc[j]! * scale;
    return vector;
  }
}

function resolveOptions(options: LsaOptions): Required<LsaOptions> {
  const o = { ...DEFAULT_LSA_OPTIONS, ...stripUndefined(options) };
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new EmbeddingError('INVALID_OPTIONS', `LSA option ${what}.`);
  };
  check(
    Number.isInteger(o.dimension) && o.dimension >= 1 && o.dimension <= 4096,
    `dimension must be an integer in 1–4096, got ${o.dimension}`,
  );
  check(Number.isInteger(o.maxTerms) && o.maxTerms >= 1, `maxTerms must be a positive integer, got ${o.maxTerms}`);
  check(
    Number.isInteger(o.minDocumentFrequency) && o.minDocumentFrequency >= 1,
    `minDocumentFrequency must be a positive integer, got ${o.minDocumentFrequency}`,
  );
  check(
    o.maxDocumentFrequencyRatio > 0 && o.maxDocumentFrequencyRatio <= 1,
    `maxDocumentFrequencyRatio must be in (0, 1], got ${o.maxDocumentFrequencyRatio}`,
  );
  check(
    Number.isInteger(o.powerIterations) && o.powerIterations >= 0 && o.powerIterations <= 10,
    `powerIterations must be an integer in 0–10, got ${o.powerIterations}`,
  );
  check(Number.isInteger(o.oversampling) && o.oversampling >= 0, `oversampling must be a non-negative integer, got ${o.oversampling}`);
  check(Number.isInteger(o.seed), `seed must be an integer, got ${o.seed}`);
  check(
    Number.isFinite(o.singularValuePower) && Math.abs(o.singularValuePower) <= 4,
    `singularValuePower must be in [−4, 4], got ${o.singularValuePower}`,
  );
  return o;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The sublinear-tf × idf matrix over the kept vocabulary, each row L2-normalised. */
function buildTfidf(
  rows: ReadonlyArray<{ ids: Int32Array; counts: Int32Array }>,
  vocabularyId: Int32Array,
  idf: Float32Array,
): SparseMatrix {
  let nnz = 0;
  for (const r of rows) for (const id of r.ids) if (vocabularyId[id]! >= 0) nnz++;
  const rowStart = new Int32Array(rows.length + 1);
  const columnIndex = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  rows.forEach((r, i) => {
    // Sorted columns: a canonical layout, and friendlier to the caches in the products.
    const entries: Array<[number, number]> = [];
    r.ids.forEach((id, k) => {
      const v = vocabularyId[id]!;
      if (v >= 0) entries.push([v, (1 + Math.log(r.counts[k]!)) * idf[v]!]);
    });
    entries.sort((a, b) => a[0] - b[0]);
    let norm = 0;
    for (const [, w] of entries) norm += w * w;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (const [v, w] of entries) {
      columnIndex[p] = v;
      values[p] = w * scale;
      p++;
    }
    rowStart[i + 1] = p;
  });
  return { rows: rows.length, columns: idf.length, rowStart, columnIndex, values };
}
