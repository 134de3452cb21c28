/** Options of {@link removeNearDuplicates}. */
export interface NearDuplicateOptions<T> {
  textOf: (item: T) => string;
  /** Word-trigram Jaccard similarity at or above which two passages are the same. Default 0.8. */
  threshold?: number;
  /** Called when `dropped` is folded into the better-ranked `kept` (e.g. to merge provenance). */
  onMerge?: (kept: T, dropped: T) => void;
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
  const kept: Array<{ item: T; shingles: Set<string> }> = [];
  for (const item of items) {
    const shingles = wordTrigrams(options.textOf(item));
    const twin = kept.find((k) => jaccard(k.shingles, shingles) >= threshold);
    if (twin) options.onMerge?.(twin.item, item);
    else kept.push({ item, shingles });
  }
  return kept.map((k) => k.item);
}

function wordTrigrams(text: string): Set<string> {
  const words = text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  // CJK text has no spaces: fall back to character trigrams of the longest run.
  const tokens = words.length < 3 && text.length >= 3 ? Array.from(text.replace(/\s+/g, '')) : words;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= tokens.length; i++) out.add(tokens.slice(i, i + 3).join(' '));
  if (out.size === 0 && tokens.length) out.add(tokens.join(' '));
  return out;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  for (const s of small) if (large.has(s)) shared++;
  return shared / (a.size + b.size - shared);
}
