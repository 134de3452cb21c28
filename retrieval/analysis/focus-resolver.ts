import { STOPWORDS } from '../../knowledge/index.js';
import type { FocusEntity } from './analysed-question.js';
import { editDistance } from './edit-distance.js';
import type { LexiconEntry } from './focus-lexicon.js';
import { hasHan, wordKey, words } from './words.js';

export interface Phrase {
  keys: string[];
  entry: number;
  how: NonNullable<FocusEntity['match']>;
  /** An eponym's bare head ("Still's disease" as "still"): the question must write it possessive ("Still's", "stills"). */
  possessive?: boolean;
}

/** Words that name no subject on their own even where a corpus uses them as a title. */
const TOO_GENERAL: ReadonlySet<string> = new Set([
  'medicine',
  'medicines',
  'drug',
  'drugs',
  'health',
  'treatment',
  'symptom',
  'test',
  'tests',
  'surgery',
  'disease',
  'diseases',
  'disorder',
  'syndrome',
  'condition',
  'cancer',
  'pain',
  'doctor',
  'help',
  'body',
  'people',
  'normal',
  'other',
  'care',
  'life',
  'child',
  'children',
  'women',
  'men',
  'infant',
  'baby',
  'blood',
  'water',
  'food',
  'foods',
]);

/**
 * Everyday words that name a subject only in some senses: the word counts only where the text uses it
 * in that sense somewhere ("my period is late", not "a shorter time period"; "went into shock", not
 * "a twist sends shock through my body").
 */
const SENSES: Readonly<Record<string, RegExp>> = {
  period:
    /\b(?:my|her|your|their|missed|late|heavy|painful|irregular|first|next|menstrual|monthly|no)\s+periods?\b|\bperiods?\s+(?:pain|cramps?|blood|bleeding|is late|are late|came|stopped)\b/i,
  west: /\bwest(?:'?s)?\s+syndrome\b|\bwest'\s?s\b/i,
  shock:
    /\b(?:went|go|goes|going|gone|into|septic|anaphylactic|toxic|circulatory|signs? of|symptoms? of|treat(?:ing|ment of)?|what is|about)\s+shock\b|^\W*shock\W*$/i,
};

/** Whether a one-word phrase is used in the text in the sense that names a subject (always, for most words). */
export function inSense(key: string, text: string): boolean {
  const sense = SENSES[key];
  return !sense || sense.test(text);
}

/** A subject's own name before a synonym, and a name before a lay term, at equal length. */
function outranks(a: Phrase, b: Phrase): boolean {
  const rank = (p: Phrase) => (p.how === 'name' ? 0 : p.how === 'lay' ? 1 : 2);
  return rank(a) < rank(b);
}

/** A name's generic last words, without which it is still asked about. */
const GENERIC_TAIL = /\s+(?:virus\s+)?(?:disease|diseases|disorder|disorders|syndrome|infections?)$/i;

/** How often each letter a–z (and anything else, last) occurs in a word. */
function letterCounts(word: string): Uint8Array {
  const counts = new Uint8Array(27);
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i) - 97;
    counts[c >= 0 && c < 26 ? c : 26]!++;
  }
  return counts;
}

/** The edit cost of a letter the question's word lacks. */
const DROPPED_LETTER = 0.6;

/** Question words shorter than this are never respelt. */
const MIN_RESPELL = 5;

/**
 * Finds the subjects a question names, in the corpus's vocabulary: longest whole-phrase matches of
 * corpus names and their synonyms, lay and renamed terms ("mpox" → "Monkeypox Virus Infections"),
 * and misspellings ("diabetis", "hemroids", "alzhiemers") respelt to the nearest corpus word by edit
 * distance when the question's word is not a correctly spelt word of the corpus. Chinese names are
 * found as substrings.
 *
 * @example
 * resolver.resolve('can i take ibuprofen with lisinopril') // → [{ name: 'Ibuprofen', … }, { name: 'Lisinopril', … }]
 */
export class FocusResolver {
  private readonly entries: LexiconEntry[] = [];
  private readonly byName = new Map<string, number>();
  private readonly phrases = new Map<string, Phrase[]>();
  private readonly indexed = new Set<string>();
  /** Every word of every phrase, by first letter and length, with how many phrases use it (the respelling candidates). */
  private readonly phraseWords = new Map<string, Map<string, { count: number; letters: Uint8Array }>>();
  private readonly known: Set<string>;
  private readonly chinese: Array<{ text: string; entry: number }> = [];

  constructor(entries: Iterable<LexiconEntry>, knownWords: Iterable<string> = [], layTerms: Readonly<Record<string, string>> = {}) {
    for (const e of entries) this.add(e);
    for (const [lay, name] of Object.entries(layTerms)) {
      const entry = this.byName.get(name.toLowerCase()) ?? this.add({ name });
      for (const phrase of phrasesOf(lay, 'lay')) this.index(phrase, entry, 'lay');
    }
    this.known = new Set([...knownWords].map(wordKey));
    for (const [, list] of this.phraseWords) for (const w of list.keys()) this.known.add(w);
    this.chinese.sort((a, b) => b.text.length - a.text.length);
  }

  /** The entry's index: a name seen before merges with the first entry of that name. */
  private add(entry: LexiconEntry): number {
    const key = entry.name.trim().toLowerCase();
    let i = this.byName.get(key);
    const { names, synonyms } = entry.phrases ?? compilePhrases(entry);
    if (i === undefined) {
      i =
        this.entries.push({ name: entry.name, ...(entry.kind ? { kind: entry.kind } : {}), ...(entry.cui ? { cui: entry.cui } : {}) }) - 1;
      this.byName.set(key, i);
      const eponym = possessiveHead(entry.name);
      for (const phrase of names) this.index(phrase, i, 'name', phrase === eponym);
    }
    for (const phrase of synonyms) this.index(phrase, i, 'synonym');
    return i;
  }

  /** Indexes a compiled phrase (its word keys joined by spaces, or a Chinese name as written). */
  private index(phrase: string, entry: number, how: Phrase['how'], possessive = false): void {
    if (hasHan(phrase)) {
      if (!this.chinese.some((c) => c.text === phrase)) this.chinese.push({ text: phrase, entry });
      return;
    }
    const id = `${entry} ${phrase}`;
    if (this.indexed.has(id)) return;
    this.indexed.add(id);
    const keys = phrase.split(' ');
    const list = this.phrases.get(keys[0]!) ?? [];
    list.push({ keys, entry, how, ...(possessive ? { possessive } : {}) });
    this.phrases.set(keys[0]!, list);
    for (const k of keys) {
      if (k.length < MIN_RESPELL || /\d/.test(k)) continue;
      const bucket = `${k[0]}${k.length}`;
      const words = this.phraseWords.get(bucket) ?? new Map<string, { count: number; letters: Uint8Array }>();
      const known = words.get(k);
      if (known) known.count++;
      else words.set(k, { count: 1, letters: letterCounts(k) });
      this.phraseWords.set(bucket, words);
    }
  }

  /** How many subjects the resolver knows. */
  get size(): number {
    return this.entries.length;
  }

  /** Whether a subject of this name (any case) is known. */
  knows(name: string): boolean {
    return this.byName.has(name.trim().toLowerCase());
  }

  /** The subjects a text names, in the order they appear, each once. */
  resolve(text: string): FocusEntity[] {
    const found: FocusEntity[] = [];
    const seen = new Set<number>();
    const push = (entry: number, written: string, how: Phrase['how']) => {
      if (seen.has(entry)) return;
      seen.add(entry);
      const e = this.entries[entry]!;
      found.push({ text: written, name: e.name, ...(e.kind ? { kind: e.kind } : {}), ...(e.cui ? { cui: e.cui } : {}), match: how });
    };
    const tokens = words(text.slice(0, 20_000));
    const keys = tokens.map(wordKey);
    const respelt = keys.map((k) => this.respellings(k));
    for (let i = 0; i < keys.length; ) {
      let best: { phrase: Phrase; respelt: boolean } | undefined;
      for (const start of new Set([keys[i]!, ...respelt[i]!])) {
        for (const phrase of this.phrases.get(start) ?? []) {
          // Longest first; of equal length, a subject's own name before another's synonym ("polymicrogyria").
          if (
            best &&
            (phrase.keys.length < best.phrase.keys.length ||
              (phrase.keys.length === best.phrase.keys.length && !outranks(phrase, best.phrase)))
          )
            continue;
          // "still trying" is no Still's disease, "in the west" no West's syndrome.
          if (phrase.possessive && !/s$/.test(tokens[i + phrase.keys.length - 1] ?? '')) continue;
          if (phrase.keys.length === 1 && !inSense(phrase.keys[0]!, text)) continue;
          let exact = true;
          const ok = phrase.keys.every((k, j) => {
            if (keys[i + j] === k) return true;
            exact = false;
            return respelt[i + j]?.includes(k) ?? false;
          });
          if (ok) best = { phrase, respelt: !exact };
        }
      }
      if (!best) {
        i++;
        continue;
      }
      const n = best.phrase.keys.length;
      const written = tokens.slice(i, i + n).join(' ');
      push(best.phrase.entry, written, best.respelt ? 'spelling' : best.phrase.how);
      // A lay term that is also a corpus name ("heart attack") brings its clinical name too.
      const same = best.phrase.keys.join(' ');
      for (const p of this.phrases.get(best.phrase.keys[0]!) ?? [])
        if (p.how === 'lay' && p !== best.phrase && p.keys.join(' ') === same) push(p.entry, written, 'lay');
      i += n;
    }
    if (hasHan(text)) {
      let rest = text;
      for (const c of this.chinese) {
        if (!rest.includes(c.text)) continue;
        push(c.entry, c.text, 'name');
        rest = rest.split(c.text).join(' ');
      }
    }
    return found;
  }

  /**
   * The corpus words a question's word may be a misspelling of, nearest first (at most three, within
   * a length-scaled edit distance); none when the word is spelt as the corpus spells some word.
   */
  private respellings(key: string): string[] {
    if (key.length < MIN_RESPELL || this.known.has(key) || /\d/.test(key) || hasHan(key)) return [];
    const near: Array<{ word: string; d: number; count: number }> = [];
    const letters = letterCounts(key);
    for (let length = key.length - 3; length <= key.length + 5; length++)
      for (const [candidate, { count, letters: theirs }] of this.phraseWords.get(`${key[0]}${length}`) ?? []) {
        const limit = Math.min(3, Math.floor((Math.max(candidate.length, key.length) - 1) / 3));
        // Letters one word has beyond the other bound the distance from below, for a fraction of its cost.
        let over = 0;
        let under = 0;
        for (let c = 0; c < 27; c++) {
          const diff = letters[c]! - theirs[c]!;
          if (diff > 0) over += diff;
          else under -= diff;
        }
        if (over + Math.max(0, under - over) * DROPPED_LETTER > limit) continue;
        const d = editDistance(key, candidate, limit, DROPPED_LETTER);
        if (d <= limit) near.push({ word: candidate, d, count });
      }
    return near
      .sort((a, b) => a.d - b.d || b.count - a.count)
      .slice(0, 3)
      .map((n) => n.word);
  }
}

/**
 * The phrases a name is looked up under: its word keys joined by spaces, also without a
 * parenthesis, and for a corpus name also without a generic last word ("Alzheimer's Disease" is
 * asked about as "alzheimers"); a Chinese name as written. None for a phrase of only general words
 * or a short all-capital abbreviation ("ALL", "MS": the abbreviation table decides those).
 */
export function phrasesOf(text: string, how: Phrase['how'], everyday: ReadonlySet<string> = new Set()): string[] {
  const trimmed = text.trim();
  if (hasHan(trimmed)) return trimmed.length >= 2 ? [trimmed] : [];
  if (how !== 'lay' && /^[A-Z0-9-]{1,5}$/.test(trimmed)) return [];
  const bare = trimmed.replace(/\s*\([^)]*\)\s*/g, ' ').trim();
  const head = bare.replace(GENERIC_TAIL, '').trim();
  // A short head, or an everyday word, is no name ("Pick disease" is no "pick up", "Eating Disorders" no "after eating").
  const headOk = head.length >= 6 && !everyday.has(words(head).join(' '));
  const out = new Set<string>();
  for (const variant of [trimmed, bare, ...(headOk && head !== bare && how === 'name' ? [head] : [])]) {
    const keys = words(variant).map(wordKey);
    if (keys.length === 0 || keys.length > 8) continue;
    if (keys.every((k) => STOPWORDS.has(k) || TOO_GENERAL.has(k) || k.length < 3)) continue;
    out.add(keys.join(' '));
  }
  return [...out];
}

/** The lookup phrase of a name's head when that head is possessive ("Still's disease" → "still"), else undefined. */
function possessiveHead(name: string): string | undefined {
  const head = name
    .trim()
    .replace(/\s*\([^)]*\)\s*/g, ' ')
    .trim()
    .replace(GENERIC_TAIL, '')
    .trim();
  if (head === name.trim() || !/['’]s$/i.test(head)) return undefined;
  return words(head).map(wordKey).join(' ');
}

/** An entry's lookup phrases: from its name, and from its aliases. */
export function compilePhrases(entry: LexiconEntry, everyday?: ReadonlySet<string>): { names: string[]; synonyms: string[] } {
  const key = entry.name.trim().toLowerCase();
  return {
    names: phrasesOf(entry.name, 'name', everyday),
    synonyms: [...new Set((entry.aliases ?? []).filter((a) => a.trim().toLowerCase() !== key).flatMap((a) => phrasesOf(a, 'synonym')))],
  };
}
