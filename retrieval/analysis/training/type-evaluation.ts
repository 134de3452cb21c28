import type { QuestionType } from '../question-type.js';
import type { TypeExample } from './type-examples.js';

/** Per-type figures on a held-out set. */
export interface TypeFigures {
  type: QuestionType;
  /** Held-out questions that ask it. */
  support: number;
  precision: number;
  recall: number;
  f1: number;
  /** Share of all held-out questions whose yes/no for this type is right. */
  accuracy: number;
}

export interface TypeEvaluation {
  questions: number;
  /** Share whose most likely type is one they ask. */
  top1: number;
  /** Share whose predicted set equals the annotated set. */
  exact: number;
  perType: TypeFigures[];
}

/** Scores a classifier (text, focus → types, most likely first) on annotated questions. */
export function evaluateTypes(
  examples: readonly TypeExample[],
  classify: (text: string, focus: readonly string[]) => readonly QuestionType[],
): TypeEvaluation {
  const tally = new Map<QuestionType, { tp: number; fp: number; fn: number }>();
  const of = (t: QuestionType) => tally.get(t) ?? (tally.set(t, { tp: 0, fp: 0, fn: 0 }), tally.get(t)!);
  let top1 = 0;
  let exact = 0;
  for (const e of examples) {
    const predicted = classify(e.text, e.focus);
    const gold = new Set(e.types);
    if (predicted[0] && gold.has(predicted[0])) top1++;
    if (predicted.length === gold.size && predicted.every((t) => gold.has(t))) exact++;
    for (const t of predicted)
      if (gold.has(t)) of(t).tp++;
      else of(t).fp++;
    for (const t of gold) if (!predicted.includes(t)) of(t).fn++;
  }
  const n = examples.length;
  const perType = [...tally]
    .filter(([t]) => t !== 'general')
    .map(([type, { tp, fp, fn }]) => {
      const precision = tp + fp ? tp / (tp + fp) : 0;
      const recall = tp + fn ? tp / (tp + fn) : 0;
      return {
        type,
        support: tp + fn,
        precision: round(precision),
        recall: round(recall),
        f1: round(precision + recall ? (2 * precision * recall) / (precision + recall) : 0),
        accuracy: round(n ? (n - fp - fn) / n : 0),
      };
    })
    .sort((a, b) => b.support - a.support);
  return { questions: n, top1: round(n ? top1 / n : 0), exact: round(n ? exact / n : 0), perType };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
