import type { SearchTerms } from './search-query.js';

/**
 * Words that say what kind of answer a question wants ("symptoms", "treatment", "side effects"):
 * the only words of a question besides its medical subject that may be sent to a wiki.
 */
export const QUESTION_TYPE_WORDS: ReadonlySet<string> = new Set([
  'symptoms',
  'symptom',
  'signs',
  'causes',
  'cause',
  'treatment',
  'treatments',
  'treat',
  'treated',
  'therapy',
  'diagnosis',
  'diagnosed',
  'test',
  'tests',
  'screening',
  'prevention',
  'prevent',
  'risk',
  'risks',
  'complications',
  'prognosis',
  'outlook',
  'side',
  'effects',
  'dosage',
  'dose',
  'vaccine',
  'vaccines',
  'vaccination',
  'diet',
  'eat',
  'food',
  'foods',
  'exercise',
  'contagious',
  'transmission',
  'inherited',
  'genetic',
  'genetics',
  'surgery',
  'medication',
  'medications',
  'cure',
  'incidence',
  'prevalence',
  'interactions',
  'pregnancy',
]);

/** Lower-case letter/digit words, hyphens and apostrophes splitting ("Aarskog-Scott" → aarskog, scott). */
function words(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** "migraines" → "migraine", so a plural finds its singular subject; short words stay. */
function singular(word: string): string {
  return word.length > 4 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

/**
 * The medical words a question may be searched for outside the machine: whole subject names the
 * knowledge base curates (its documents' focus terms and synonyms, e.g. "gout", "Aarskog-Scott
 * syndrome"), clinical abbreviations (expanded), and question-type words. Matching is on whole
 * phrases only, so an eponym's part ("Wilson" of "Wilson disease") or a word that is also a name
 * never matches alone; digits, e-mail addresses, names and every other word of the question are
 * dropped because they are not in the list, not because a pattern spotted them.
 *
 * @example
 * const vocabulary = MedicalVocabulary.fromTerms(store.focusTerms(), MEDICAL_ABBREVIATIONS);
 * vocabulary.terms('Hi, I am John Smith, MRN 123456: what foods make my gout worse?')
 * // → { focus: ['gout'], types: ['foods'] }
 */
export class MedicalVocabulary {
  /** Phrases as word lists, by first word (singular), longest first. */
  private readonly byFirstWord = new Map<string, string[][]>();

  private constructor(
    phrases: Iterable<string>,
    private readonly abbreviations: Readonly<Record<string, string>>,
  ) {
    for (const phrase of phrases) {
      const list = words(phrase).map(singular);
      // One- and two-letter "subjects" ("A", "B") are letters, not terms.
      if (list.length === 0 || (list.length === 1 && list[0]!.length < 3)) continue;
      const entries = this.byFirstWord.get(list[0]!) ?? [];
      if (!entries.some((e) => e.join(' ') === list.join(' '))) entries.push(list);
      this.byFirstWord.set(list[0]!, entries);
    }
    for (const entries of this.byFirstWord.values()) entries.sort((a, b) => b.length - a.length);
  }

  /** A vocabulary of these subject names (and synonyms) plus an abbreviation table (`htn` → `hypertension …`). */
  static fromTerms(terms: Iterable<string>, abbreviations: Readonly<Record<string, string>> = {}): MedicalVocabulary {
    return new MedicalVocabulary(terms, abbreviations);
  }

  /** How many distinct subject phrases it holds. */
  get size(): number {
    let n = 0;
    for (const entries of this.byFirstWord.values()) n += entries.length;
    return n;
  }

  /**
   * The subjects (whole phrases, as the question spelt them, lower case) and question-type words
   * of `question`, each once, in question order. Everything else is left out.
   */
  terms(question: string): SearchTerms {
    const tokens = words(typeof question === 'string' ? question.slice(0, 10_000) : '');
    const focus: string[] = [];
    const types: string[] = [];
    for (let i = 0; i < tokens.length; ) {
      const match = this.longestPhraseAt(tokens, i);
      if (match > 0) {
        focus.push(tokens.slice(i, i + match).join(' '));
        i += match;
        continue;
      }
      const word = tokens[i]!;
      const expansion = this.abbreviations[word];
      if (expansion) focus.push(expansion.toLowerCase());
      else if (QUESTION_TYPE_WORDS.has(word)) types.push(word);
      i++;
    }
    return { focus: [...new Set(focus)], types: [...new Set(types)] };
  }

  private longestPhraseAt(tokens: string[], start: number): number {
    for (const phrase of this.byFirstWord.get(singular(tokens[start]!)) ?? []) {
      if (phrase.every((w, j) => tokens[start + j] !== undefined && singular(tokens[start + j]!) === w)) return phrase.length;
    }
    return 0;
  }
}
