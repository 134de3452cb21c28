import { SeededRandom } from './random.js';

/** How the next token is chosen from the logits. */
export interface SamplingParameters {
  /** 0 = greedy (argmax); otherwise logits are divided by it before softmax. */
  temperature: number;
  /** Keep only the k most likely tokens; 0 = no limit. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 = no limit. */
  topP: number;
  /** >1 makes tokens already in the prompt or output less likely (CTRL / Hugging Face rule); 1 = off. */
  repetitionPenalty: number;
  /** Seed of the random generator (ignored when greedy). */
  seed: number;
}

/**
 * Picks tokens from logits the way Hugging Face `generate` does: repetition penalty, then argmax
 * when temperature is 0, else temperature → top-k → softmax → top-p → a draw from a seeded
 * generator. One sampler per request; it remembers the tokens seen for the penalty.
 *
 * @example
 * const s = new Sampler({ temperature: 0.7, topK: 40, topP: 0.95, repetitionPenalty: 1.1, seed: 1 }, vocabSize, promptIds);
 * const id = s.sample(logits); s.accept(id);
 */
export class Sampler {
  private readonly random: SeededRandom;
  private readonly seen: Uint8Array;
  private readonly seenIds: number[] = [];

  constructor(
    private readonly params: SamplingParameters,
    vocabSize: number,
    promptIds: readonly number[] = [],
  ) {
    this.random = new SeededRandom(params.seed);
    this.seen = new Uint8Array(vocabSize);
    for (const id of promptIds) this.accept(id);
  }

  /** Records a token for the repetition penalty (prompt tokens are recorded by the constructor). */
  accept(id: number): void {
    if (this.params.repetitionPenalty === 1 || id < 0 || id >= this.seen.length || this.seen[id]) return;
    this.seen[id] = 1;
    this.seenIds.push(id);
  }

  /** Chooses the next token from one row of logits (`vocabSize` floats; modified in place by the penalty). */
  sample(logits: Float32Array): number {
    const { temperature, topK, topP, repetitionPenalty } = this.params;
    if (repetitionPenalty !== 1) {
      for (const id of this.seenIds) {
        const l = logits[id]!;
        logits[id] = l > 0 ? l / repetitionPenalty : l * repetitionPenalty;
      }
    }
    if (temperature === 0) return argmax(logits);

    // Candidates sorted by logit, cut to top-k first so the sort and softmax stay small.
    let candidates = sortedIndices(logits, topK > 0 ? Math.min(topK, logits.length) : logits.length);
    const max = logits[candidates[0]!]!;
    const probs = new Float64Array(candidates.length);
    let sum = 0;
    for (let i = 0; i < candidates.length; i++) sum += probs[i] = Math.exp((logits[candidates[i]!]! - max) / temperature);
    let keep = candidates.length;
    if (topP < 1) {
      let cumulative = 0;
      for (let i = 0; i < candidates.length; i++) {
        cumulative += probs[i]! / sum;
        if (cumulative >= topP) {
          keep = i + 1;
          break;
        }
      }
      candidates = candidates.subarray(0, keep);
      sum = 0;
      for (let i = 0; i < keep; i++) sum += probs[i]!;
    }
    let r = this.random.next() * sum;
    for (let i = 0; i < keep; i++) {
      r -= probs[i]!;
      if (r < 0) return candidates[i]!;
    }
    return candidates[keep - 1]!;
  }
}

/** Index of the largest value; the lowest index wins ties (as numpy and torch argmax do). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = values[0]!;
  for (let i = 1; i < values.length; i++) {
    if (values[i]! > bestValue) {
      bestValue = values[i]!;
      best = i;
    }
  }
  return best;
}

/** The `k` indices of the largest values, largest first (ties by index). */
function sortedIndices(values: Float32Array, k: number): Uint32Array {
  let pool: Uint32Array;
  if (k < values.length && k <= 1024) {
    // Threshold at the k-th largest value via a small sorted buffer: O(V·k) worst, O(V) typical.
    const top: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (top.length < k) {
        insertSorted(top, v);
      } else if (v > top[k - 1]!) {
        top.pop();
        insertSorted(top, v);
      }
    }
    const threshold = top[k - 1]!;
    const ids: number[] = [];
    for (let i = 0; i < values.length && ids.length < values.length; i++) if (values[i]! >= threshold) ids.push(i);
    pool = Uint32Array.from(ids);
  } else {
    pool = new Uint32Array(values.length);
    for (let i = 0; i < pool.length; i++) pool[i] = i;
  }
  pool.sort((a, b) => values[b]! - values[a]! || a - b);
  return pool.subarray(0, Math.min(k, pool.length));
}

function insertSorted(desc: number[], v: number): void {
  let i = desc.length;
  desc.push(v);
  while (i > 0 && desc[i - 1]! < v) {
    desc[i] = desc[i - 1]!;
    i--;
  }
  desc[i] = v;
}
