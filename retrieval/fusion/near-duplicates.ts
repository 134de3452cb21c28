/** Options of {@link removeNearDuplicates}. */
export interface NearDuplicateOptions<T> {
  textOf: (item: T) => string;
  /** Word-trigram Jaccard similarity at or above which two passages are the same. Default 0.8. */
  threshold?: number;
  /** Called when `dropped` is folded into the better-ranked `kept` (e.g. to merge provenance). */
  onMerge?: (kept: T, dropped: T) => void;
  /**
   * Stop once this many passages are kept: later ones are neither compared nor returned (a caller
   * that shows k hits need not shingle the long tail). Default: all.
   */
  limit?: number;
}

/**
 * Drops passages that repeat a better-ranked one almost word for word (MedQuAD repeats answers
 * across collections; overlapping chunks and Wikipedia mirrors do too). Input is best first; the
 * first of each group is kept. Quadratic, meant for the few dozen candidates of one question.
 *
 * @example
 * removeNearDuplicates(['Gout is arthritis.', 'Gout is arthritis!'], { textOf: (s) => s }) // → ['Gout is arthritis.']
 */
export function removeNearDuplicates<T>(items: readonly T[], options: NearDuplicateOptions<T>): T[] {
  const threshold = options.threshold ?? 0.8;
  const words = new WordIds();
  const kept: Array<{ item: T; shingles: Set<number> }> = [];
  const limit = options.limit ?? Infinity;
  for (const item of items) {
    if (kept.length >= limit) break;
    const shingles = wordTrigrams(options.textOf(item), words);
    const twin = kept.find((k) => similarEnough(k.shingles, shingles, threshold));
    if (twin) options.onMerge?.(twin.item, item);
    else kept.push({ item, shingles });
  }
  return kept.map((k) => k.item);
}

/**
 * Small integer ids for the words of one call's passages, so a trigram is one number
 * (id₁·2³⁴ + id₂·2¹⁷ + id₃, exact below 2¹⁷ distinct words) rather than a joined string: this
 * runs for every question, and string shingles were a sixth of the pipeline's CPU time.
 */
class WordIds {
  private readonly ids = new Map<string, number>();
  id(word: string): number {
    let id = this.ids.get(word);
    if (id === undefined) {
      id = this.ids.size % 131_072;
      this.ids.set(word, id);
    }
    return id;
  }
}

function wordTrigrams(text: string, words: WordIds): Set<number> {
  const found =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  // CJK text has no spaces: fall back to character trigrams of the longest run.
  const tokens = found.length < 3 && text.length >= 3 ? Array.from(text.replace(/\s+/g, '')) : found;
  const ids = tokens.map((t) => words.id(t));
  const out = new Set<number>();
  for (let i = 0; i + 3 <= ids.length; i++) out.add(ids[i]! * 2 ** 34 + ids[i + 1]! * 2 ** 17 + ids[i + 2]!);
  if (out.size === 0 && ids.length) out.add(-1 - words.id(tokens.join(' ')));
  return out;
}

/** Jaccard similarity ≥ threshold; sets whose sizes differ too much cannot reach it (J ≤ min/max). */
function similarEnough(a: ReadonlySet<number>, b: ReadonlySet<number>, threshold: number): boolean {
  if (a.size === 0 && b.size === 0) return true;
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  if (small.size < threshold * large.size) return false;
  let shared = 0;
  for (const s of small) if (large.has(s)) shared++;
  return shared / (a.size + b.size - shared) >= threshold;
}
