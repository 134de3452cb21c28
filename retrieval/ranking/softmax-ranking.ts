import type { LogisticModel } from './logistic-regression.js';

/** One question's candidates for {@link trainSoftmaxRanking}. */
export interface RankingList {
  /** Feature rows, one per candidate. */
  rows: ReadonlyArray<readonly number[]>;
  /** Which candidates answer the question. */
  relevant: readonly boolean[];
  /** A fixed score added to each candidate's (not learned), as the scorer adds it at serving time. Default 0 each. */
  offsets?: readonly number[];
}

/** Options of {@link trainSoftmaxRanking}. */
export interface SoftmaxRankingOptions {
  /** L2 penalty on the (standardised) weights. Default 0.3. */
  l2?: number;
  /** Full-batch gradient steps. Default 600. */
  iterations?: number;
  /** Step size of Adam. Default 0.05. */
  learningRate?: number;
  /** Features kept at weight 0. Default none. */
  unlearned?: readonly string[];
}

/** Relative spread below which a training feature counts as constant (as `trainLogistic`). */
const MIN_SPREAD = 1e-9;

/**
 * Fits a linear scorer by a listwise softmax loss: for each question, minus the log of the share
 * of the softmax over its candidates' scores that falls on its relevant ones. It learns what puts
 * an answer above the question's other candidates, where pointwise logistic regression learns what
 * relevant passages look like across all questions; the first is what rank 1 needs. The result is a
 * {@link LogisticModel} (bias 0: a constant changes no order), scored by `logit` like any other.
 * Lists with no relevant or no irrelevant candidate teach nothing and are skipped; each list weighs
 * the same. Deterministic.
 *
 * @example
 * const model = trainSoftmaxRanking(['bm25', 'typeMatch'], lists);
 */
export function trainSoftmaxRanking(
  features: readonly string[],
  lists: readonly RankingList[],
  options: SoftmaxRankingOptions = {},
): LogisticModel {
  const d = features.length;
  const l2 = options.l2 ?? 0.3;
  const iterations = options.iterations ?? 600;
  const lr = options.learningRate ?? 0.05;
  const all = lists.flatMap((l) => l.rows);
  if (!all.length) throw new RangeError('need at least one candidate');
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of all) for (let j = 0; j < d; j++) mean[j]! += (r[j] ?? 0) / all.length;
  for (const r of all) for (let j = 0; j < d; j++) scale[j]! += ((r[j] ?? 0) - mean[j]!) ** 2 / all.length;
  const constant = scale.map((variance, j) => Math.sqrt(variance) <= MIN_SPREAD * Math.max(1, Math.abs(mean[j]!)));
  for (let j = 0; j < d; j++) scale[j] = constant[j] ? 1 : Math.sqrt(scale[j]!);
  const unlearned = new Set(options.unlearned ?? []);
  const held = features.map((f, j) => constant[j]! || unlearned.has(f));
  const data = lists
    .filter((l) => l.relevant.some(Boolean) && l.relevant.some((r) => !r))
    .map((l) => ({
      x: l.rows.map((r) => Float64Array.from({ length: d }, (_, j) => ((r[j] ?? 0) - mean[j]!) / scale[j]!)),
      relevant: l.relevant,
      offsets: l.offsets ?? l.rows.map(() => 0),
    }));
  if (!data.length) throw new RangeError('no list has both a relevant and an irrelevant candidate');
  const w = new Array<number>(d).fill(0);
  const m = new Array<number>(d).fill(0);
  const v = new Array<number>(d).fill(0);
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  for (let t = 1; t <= iterations; t++) {
    const g = new Array<number>(d).fill(0);
    for (const list of data) {
      const s = list.x.map((x, i) => {
        let z = list.offsets[i]!;
        for (let j = 0; j < d; j++) z += w[j]! * x[j]!;
        return z;
      });
      const top = Math.max(...s);
      const e = s.map((z) => Math.exp(z - top));
      const total = e.reduce((a, b) => a + b, 0);
      const onRelevant = e.reduce((a, x, i) => a + (list.relevant[i] ? x : 0), 0);
      // d/dw of −log(onRelevant / total) = Σᵢ (eᵢ/total − [relevant] eᵢ/onRelevant) xᵢ
      list.x.forEach((x, i) => {
        const c = (e[i]! / total - (list.relevant[i] ? e[i]! / onRelevant : 0)) / data.length;
        for (let j = 0; j < d; j++) g[j]! += c * x[j]!;
      });
    }
    for (let j = 0; j < d; j++) {
      const gj = held[j] ? 0 : g[j]! + l2 * w[j]!;
      m[j] = b1 * m[j]! + (1 - b1) * gj;
      v[j] = b2 * v[j]! + (1 - b2) * gj ** 2;
      w[j]! -= (lr * (m[j]! / (1 - b1 ** t))) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + eps);
    }
  }
  const round = (z: number) => Number(z.toPrecision(8));
  return { features: [...features], mean: mean.map(round), scale: scale.map(round), weights: w.map(round), bias: 0 };
}
