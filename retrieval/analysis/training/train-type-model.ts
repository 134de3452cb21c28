import type { QuestionTypeModelFile } from '../question-type-model.js';
import { QUESTION_TYPES, ruleTypes, type QuestionType } from '../question-type.js';
import { typeFeatures } from '../type-features.js';
import { seededRandom } from './split.js';
import type { TypeExample } from './type-examples.js';

/** Training settings, each with its default. */
export interface TypeTrainingOptions {
  /** Passes over the data. Default 12. */
  epochs?: number;
  /** AdaGrad step. Default 0.3. */
  learningRate?: number;
  /** L2 penalty per step. Default 1e-6. */
  l2?: number;
  /** Weight of a LiveQA (consumer) example against a MedQuAD one. Default 6. */
  consumerWeight?: number;
  /** Features seen fewer times are dropped. Default 2. */
  minCount?: number;
  /** Weights smaller than this are pruned from the saved model. Default 0.02. */
  prune?: number;
  seed?: number;
  /** A keyword rule this precise on the training data (and firing at least 20 times) is trusted on its own. Default 0.85. */
  trustAt?: number;
}

/**
 * The types whose keyword rule is right at least `precision` of the times it fires on MedQuAD's
 * questions (at least 20 times) and more often than not on the consumer messages where it fires
 * there at least 5 times (consumers use the rules' words loosely: "how long" rarely asks the outlook).
 */
export function trustedRules(examples: readonly TypeExample[], precision: number): QuestionType[] {
  const fired = {
    medquad: new Map<QuestionType, { n: number; right: number }>(),
    liveqa: new Map<QuestionType, { n: number; right: number }>(),
  };
  for (const e of examples)
    for (const t of ruleTypes(e.text)) {
      const f = fired[e.set].get(t) ?? { n: 0, right: 0 };
      f.n++;
      if (e.types.includes(t)) f.right++;
      fired[e.set].set(t, f);
    }
  return [...fired.medquad]
    .filter(([t, f]) => {
      const consumer = fired.liveqa.get(t);
      return f.n >= 20 && f.right / f.n >= precision && (!consumer || consumer.n < 5 || consumer.right / consumer.n > 0.5);
    })
    .map(([t]) => t);
}

/**
 * Trains one logistic regression per question type (one-vs-rest, so a message may ask several)
 * over {@link typeFeatures}, by AdaGrad SGD in a seeded order: the same data gives the same model.
 */
export function trainTypeModel(examples: readonly TypeExample[], options: TypeTrainingOptions = {}): QuestionTypeModelFile {
  const epochs = options.epochs ?? 12;
  const rate = options.learningRate ?? 0.3;
  const l2 = options.l2 ?? 1e-6;
  const consumerWeight = options.consumerWeight ?? 6;
  const minCount = options.minCount ?? 2;
  const types = QUESTION_TYPES.filter((t) => t !== 'general' && examples.some((e) => e.types.includes(t)));
  const typeIndex = new Map<QuestionType, number>(types.map((t, i) => [t, i]));

  const featureLists = examples.map((e) => typeFeatures(e.text, e.focus));
  const counts = new Map<string, number>();
  for (const fs of featureLists) for (const f of fs) counts.set(f, (counts.get(f) ?? 0) + 1);
  const vocabulary = [...counts].filter(([, n]) => n >= minCount).map(([f]) => f);
  const featureIndex = new Map(vocabulary.map((f, i) => [f, i]));
  const rows = featureLists.map((fs) => Int32Array.from(fs.flatMap((f) => (featureIndex.has(f) ? [featureIndex.get(f)!] : []))));
  const labels = examples.map((e) => new Set(e.types.map((t) => typeIndex.get(t)!)));
  const sampleWeight = examples.map((e) => (e.set === 'liveqa' ? consumerWeight : 1));

  const T = types.length;
  const w = new Float64Array(vocabulary.length * T);
  const g2 = new Float64Array(vocabulary.length * T).fill(1e-8);
  const bias = new Float64Array(T);
  const bias2 = new Float64Array(T).fill(1e-8);
  const order = examples.map((_, i) => i);
  const random = seededRandom(options.seed ?? 12);
  const z = new Float64Array(T);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const n of order) {
      const row = rows[n]!;
      z.set(bias);
      for (const f of row) for (let t = 0; t < T; t++) z[t]! += w[f * T + t]!;
      for (let t = 0; t < T; t++) {
        const g = (1 / (1 + Math.exp(-z[t]!)) - (labels[n]!.has(t) ? 1 : 0)) * sampleWeight[n]!;
        if (Math.abs(g) < 1e-4) continue;
        bias2[t]! += g * g;
        bias[t]! -= (rate * g) / Math.sqrt(bias2[t]!);
        for (const f of row) {
          const k = f * T + t;
          const grad = g + l2 * w[k]!;
          g2[k]! += grad * grad;
          w[k]! -= (rate * grad) / Math.sqrt(g2[k]!);
        }
      }
    }
  }

  const prune = options.prune ?? 0.02;
  const weights: Record<string, Array<[number, number]>> = {};
  vocabulary.forEach((feature, f) => {
    const pairs: Array<[number, number]> = [];
    for (let t = 0; t < T; t++) {
      const v = w[f * T + t]!;
      if (Math.abs(v) >= prune) pairs.push([t, Math.round(v * 1000) / 1000]);
    }
    if (pairs.length) weights[feature] = pairs;
  });
  return {
    format: 'galen-question-types',
    version: 1,
    types,
    bias: [...bias].map((b) => Math.round(b * 1000) / 1000),
    weights,
    trustedRules: trustedRules(examples, options.trustAt ?? 0.85),
  };
}
