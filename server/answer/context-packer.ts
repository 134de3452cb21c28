import type { Evidence } from '../../retrieval/pipeline/index.js';

/** Options of {@link packContext}. */
export interface PackOptions {
  /** Tokens the passages may take together. Required. */
  budgetTokens: number;
  /** Tokens of a rendered passage (the model's count: local, or a remote engine's). Required. */
  countTokens: (text: string) => number | Promise<number>;
  /** A passage as the prompt shows it (with its number, title and delimiters). Required. */
  render: (evidence: Evidence, n: number) => string;
  /** Most passages to include. Default: no limit beyond the budget. */
  maxPassages?: number;
}

/** A passage left out of the prompt, and why. */
export interface DroppedPassage {
  externalId: string;
  tokens: number;
  reason: 'budget' | 'max-passages';
}

/** The passages that fit, best first, numbered 1… in this order, and what was left out. */
export interface PackedContext {
  passages: Evidence[];
  /** Tokens the included passages take. */
  tokens: number;
  dropped: DroppedPassage[];
}

/**
 * Packs passages into the model's context budget by score, best first: a passage that does not fit
 * whole is left out (and reported) and smaller, lower-scored ones may still follow. A passage is
 * never cut mid-text, so the model only ever sees whole passages.
 *
 * @example
 * const packed = await packContext(hits, { budgetTokens: 900, countTokens: async (t) => (await model.countTokens(t)).tokens, render });
 * packed.passages.length; packed.dropped; // what fitted, what did not
 */
export async function packContext(passages: readonly Evidence[], options: PackOptions): Promise<PackedContext> {
  const ranked = passages.map((e, i) => ({ e, i })).sort((a, b) => b.e.score - a.e.score || a.i - b.i);
  const included: Evidence[] = [];
  const dropped: DroppedPassage[] = [];
  let tokens = 0;
  for (const { e } of ranked) {
    const cost = await options.countTokens(options.render(e, included.length + 1));
    if (options.maxPassages !== undefined && included.length >= options.maxPassages) {
      dropped.push({ externalId: e.externalId, tokens: cost, reason: 'max-passages' });
    } else if (tokens + cost > options.budgetTokens) {
      dropped.push({ externalId: e.externalId, tokens: cost, reason: 'budget' });
    } else {
      included.push(e);
      tokens += cost;
    }
  }
  return { passages: included, tokens, dropped };
}
