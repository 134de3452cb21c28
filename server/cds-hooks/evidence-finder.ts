import type { Evidence } from '../../retrieval/pipeline/index.js';
import { splitSentences } from '../answer/index.js';
import type { CardCitation } from './cards.js';
import { escapeMd } from './cards.js';

/** Galen's retrieval as the cards use it: a query → the best passages (local corpus only). */
export type FindEvidence = (query: string) => Promise<Evidence[]>;

const GENERIC_WORDS = new Set([
  'disorder',
  'disease',
  'chronic',
  'acute',
  'essential',
  'primary',
  'secondary',
  'history',
  'finding',
  'oral',
  'tablet',
  'capsule',
  'injection',
  'solution',
  'extended',
  'release',
  'allergy',
  'with',
  'without',
  'from',
]);

/**
 * The words that identify a drug, condition or allergen in a passage: the label's words of 4+
 * letters that are not dose forms or generic terms (`Ibuprofen 400 MG Oral Tablet` → `ibuprofen`).
 */
export function keyTerms(label: string): string[] {
  const words = label
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .filter((w) => w.length >= 4 && !GENERIC_WORDS.has(w));
  return [...new Set(words)].slice(0, 3);
}

/** Whether `text` names one of `terms` (whole words; `pregnan…` matches pregnancy and pregnant). */
export function mentions(text: string, terms: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return terms.some((t) => new RegExp(`(^|[^\\p{L}])${escapeRe(t)}`, 'u').test(lower));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The passages a card cites, numbered in order of first use. */
export class CitationList {
  private readonly byKey = new Map<string, CardCitation>();

  /** The passage's number in this card. */
  cite(e: Evidence): number {
    const known = this.byKey.get(e.key);
    if (known) return known.n;
    const c = { n: this.byKey.size + 1, title: e.section ? `${e.title} — ${e.section}` : e.title, url: e.url };
    this.byKey.set(e.key, c);
    return c.n;
  }

  get all(): CardCitation[] {
    return [...this.byKey.values()];
  }
}

/**
 * Up to `max` sentences of the passages that mention every group of terms in `mustMention`
 * (each group: any of its terms), as markdown with the passage's `[n]`. Passages that do not
 * mention the subject are skipped: an unrelated hit is no evidence.
 */
export function citedSentences(
  hits: readonly Evidence[],
  mustMention: ReadonlyArray<readonly string[]>,
  citations: CitationList,
  max: number,
  prefer?: RegExp,
  onlyPreferred = false,
): string[] {
  const out: string[] = [];
  for (const hit of hits) {
    const whole = `${hit.title} ${hit.section} ${hit.text}`;
    if (!mustMention.every((g) => mentions(whole, g))) continue;
    // A sentence must name the last group (the specific concern) itself, or the passage be about the first.
    const sentences = splitSentences(hit.text).filter((s) => mentions(s, mustMention.at(-1) ?? []));
    const preferred = prefer ? sentences.filter((s) => prefer.test(s)) : sentences;
    const ranked = onlyPreferred ? preferred : [...preferred, ...sentences.filter((s) => !preferred.includes(s))];
    for (const s of ranked.slice(0, 1)) {
      if (out.length >= max) return out;
      out.push(`${escapeMd(s.length > 400 ? `${s.slice(0, 399)}…` : s)} [${citations.cite(hit)}]`);
    }
    if (out.length >= max) break;
  }
  return out;
}
