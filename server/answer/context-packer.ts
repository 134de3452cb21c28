import type { Evidence } from '../../retrieval/pipeline/index.js';
import { splitSentences } from './sentences.js';

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
  /** Take the passages in the order given (the answer plan's) rather than by score. Default false. */
  keepOrder?: boolean;
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
  /** Passages included with only their leading sentences (the whole did not fit). */
  trimmed: string[];
}

/**
 * Packs passages into the model's context budget by score, best first. A passage that does not
 * fit whole is trimmed to its leading whole sentences that fit (reported in `trimmed`), and left
 * out (reported in `dropped`) only when not even its first sentence fits; smaller, lower-scored
 * ones may still follow. At least one passage is always kept while there is any budget: when
 * nothing fits, the best passage is cut at a word to fit, so a small context window still answers
 * from a source rather than saying nothing was found.
 *
 * @example
 * const packed = await packContext(hits, { budgetTokens: 900, countTokens: async (t) => (await model.countTokens(t)).tokens, render });
 * packed.passages.length; packed.dropped; packed.trimmed; // what fitted, what did not, what was shortened
 */
export async function packContext(passages: readonly Evidence[], options: PackOptions): Promise<PackedContext> {
  const indexed = passages.map((e, i) => ({ e, i }));
  const ranked = options.keepOrder ? indexed : indexed.sort((a, b) => b.e.score - a.e.score || a.i - b.i);
  const included: Evidence[] = [];
  const dropped: DroppedPassage[] = [];
  const trimmed: string[] = [];
  let tokens = 0;
  const cost = async (e: Evidence) => options.countTokens(options.render(e, included.length + 1));
  for (const { e } of ranked) {
    const whole = await cost(e);
    if (options.maxPassages !== undefined && included.length >= options.maxPassages) {
      dropped.push({ externalId: e.externalId, tokens: whole, reason: 'max-passages' });
      continue;
    }
    if (tokens + whole <= options.budgetTokens) {
      included.push(e);
      tokens += whole;
      continue;
    }
    const shorter = await leadingSentencesThatFit(e, options.budgetTokens - tokens, cost);
    if (shorter) {
      included.push(shorter.evidence);
      tokens += shorter.tokens;
      trimmed.push(e.externalId);
    } else dropped.push({ externalId: e.externalId, tokens: whole, reason: 'budget' });
  }
  const best = ranked[0]?.e;
  if (included.length === 0 && best && options.budgetTokens > 0 && options.maxPassages !== 0) {
    const cut = await wordsThatFit(best, options.budgetTokens, cost);
    if (cut) {
      included.push(cut.evidence);
      tokens += cut.tokens;
      trimmed.push(best.externalId);
      const at = dropped.findIndex((d) => d.externalId === best.externalId);
      if (at >= 0) dropped.splice(at, 1);
    }
  }
  return { passages: included, tokens, dropped, trimmed };
}

type Cost = (e: Evidence) => Promise<number> | number;

/** The passage with as many of its leading sentences as fit `room` (at least one), or null. */
async function leadingSentencesThatFit(e: Evidence, room: number, cost: Cost): Promise<{ evidence: Evidence; tokens: number } | null> {
  const sentences = splitSentences(e.text);
  if (sentences.length < 2) return null;
  let best: { evidence: Evidence; tokens: number } | null = null;
  for (let n = 1; n < sentences.length; n++) {
    const evidence = { ...e, text: sentences.slice(0, n).join(' ') };
    const tokens = await cost(evidence);
    if (tokens > room) break;
    best = { evidence, tokens };
  }
  return best;
}

/** The passage's leading words that fit `room` (halving, then growing back), or null when none do. */
async function wordsThatFit(e: Evidence, room: number, cost: Cost): Promise<{ evidence: Evidence; tokens: number } | null> {
  const words = e.text.split(/\s+/).filter(Boolean);
  let lo = 0;
  let hi = words.length;
  let best: { evidence: Evidence; tokens: number } | null = null;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const evidence = { ...e, text: `${words.slice(0, mid).join(' ')} …` };
    const tokens = await cost(evidence);
    if (tokens <= room) {
      best = { evidence, tokens };
      lo = mid;
    } else hi = mid - 1;
  }
  return best;
}
