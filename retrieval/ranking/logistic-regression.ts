import { z } from 'zod';

/** A saved logistic regression: named features, their standardisation, weights and bias. */
export const LogisticModel = z.object({
  features: z.array(z.string().min(1)).min(1),
  /** Subtracted from each feature before weighting. */
  mean: z.array(z.number()),
  /** Each standardised feature is divided by this (never 0). */
  scale: z.array(z.number().positive()),
  weights: z.array(z.number()),
  bias: z.number(),
});
export type LogisticModel = z.infer<typeof LogisticModel>;

/** Options of {@link trainLogistic}. */
export interface TrainOptions {
  /** L2 penalty on the weights (not the bias), per example. Default 1e-3. */
  l2?: number;
  /** Full-batch gradient steps. Default 2000. */
  iterations?: number;
  /** Step size of Adam. Default 0.05. */
  learningRate?: number;
  /** Weight of each example (default 1 each). */
  sampleWeights?: readonly number[];
  /** Features kept at weight 0: ones the labels cannot teach, whose effect the caller sets by hand. Default none. */
  unlearned?: readonly string[];
}

/** Relative spread below which a training feature counts as constant. */
const MIN_SPREAD = 1e-9;

/** Checks a model's arrays agree with its feature list, and that no feature is scaled by noise. */
export function checkModel(model: LogisticModel): LogisticModel {
  const n = model.features.length;
  if (model.mean.length !== n || model.scale.length !== n || model.weights.length !== n)
    throw new RangeError(`model arrays must have one value per feature (${n})`);
  model.scale.forEach((scale, j) => {
    if (scale <= MIN_SPREAD * Math.max(1, Math.abs(model.mean[j]!)) && model.weights[j] !== 0)
      throw new RangeError(`feature ${model.features[j]} was constant in training (scale ${scale}): retrain the model`);
  });
  return model;
}

/** The model's linear score (log-odds) of a feature vector. */
export function logit(model: LogisticModel, x: readonly number[]): number {
  let z = model.bias;
  for (let i = 0; i < model.weights.length; i++) z += (model.weights[i]! * ((x[i] ?? 0) - model.mean[i]!)) / model.scale[i]!;
  return z;
}

/** The model's probability of the positive class. */
export function probability(model: LogisticModel, x: readonly number[]): number {
  return 1 / (1 + Math.exp(-logit(model, x)));
}

/**
 * Fits L2-regularised logistic regression by full-batch Adam on standardised features.
 * Deterministic: the same data gives the same model.
 *
 * @example
 * const model = trainLogistic(['overlap', 'typeMatch'], rows, labels);
 * probability(model, [0.8, 1]) // → 0.91
 */
export function trainLogistic(
  features: readonly string[],
  rows: ReadonlyArray<readonly number[]>,
  labels: ReadonlyArray<0 | 1>,
  options: TrainOptions = {},
): LogisticModel {
  const n = rows.length;
  const d = features.length;
  if (n === 0 || labels.length !== n) throw new RangeError('need one label per row, and at least one row');
  const l2 = options.l2 ?? 1e-3;
  const iterations = options.iterations ?? 2000;
  const lr = options.learningRate ?? 0.05;
  const sw = options.sampleWeights ?? rows.map(() => 1);
  const totalWeight = sw.reduce((s, w) => s + w, 0);
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += (r[j] ?? 0) / n;
  for (const r of rows) for (let j = 0; j < d; j++) scale[j]! += ((r[j] ?? 0) - mean[j]!) ** 2 / n;
  // A feature (nearly) constant in training teaches nothing; dividing by its rounding noise would
  // turn any other value at serving time into an enormous score. It keeps scale 1 and weight 0.
  const constant = scale.map((variance, j) => Math.sqrt(variance) <= MIN_SPREAD * Math.max(1, Math.abs(mean[j]!)));
  for (let j = 0; j < d; j++) scale[j] = constant[j] ? 1 : Math.sqrt(scale[j]!);
  const unlearned = new Set(options.unlearned ?? []);
  const held = features.map((f, j) => constant[j]! || unlearned.has(f));
  const x = rows.map((r) => Array.from({ length: d }, (_, j) => ((r[j] ?? 0) - mean[j]!) / scale[j]!));
  const w = new Array<number>(d + 1).fill(0);
  const m = new Array<number>(d + 1).fill(0);
  const v = new Array<number>(d + 1).fill(0);
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  for (let t = 1; t <= iterations; t++) {
    const g = new Array<number>(d + 1).fill(0);
    for (let i = 0; i < n; i++) {
      let z = w[d]!;
      const xi = x[i]!;
      for (let j = 0; j < d; j++) z += w[j]! * xi[j]!;
      const err = (sw[i]! * (1 / (1 + Math.exp(-z)) - labels[i]!)) / totalWeight;
      for (let j = 0; j < d; j++) g[j]! += err * xi[j]!;
      g[d]! += err;
    }
    for (let j = 0; j < d; j++) g[j] = held[j] ? 0 : g[j]! + l2 * w[j]!;
    for (let j = 0; j <= d; j++) {
      m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
      v[j] = b2 * v[j]! + (1 - b2) * g[j]! ** 2;
      w[j]! -= (lr * (m[j]! / (1 - b1 ** t))) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + eps);
    }
  }
  const round = (z: number) => Number(z.toPrecision(8));
  return {
    features: [...features],
    mean: mean.map(round),
    scale: scale.map(round),
    weights: w.slice(0, d).map(round),
    bias: round(w[d]!),
  };
}
