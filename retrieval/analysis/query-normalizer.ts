import type { KnowledgeStore } from '../../knowledge/index.js';
import { inSense } from './focus-resolver.js';
import { wordKey } from './words.js';

/**
 * Common clinical abbreviations, expanded beside (not instead of) the abbreviation so that both
 * spellings are searched. Conservative on purpose: only unambiguous ones.
 */
export const MEDICAL_ABBREVIATIONS: Readonly<Record<string, string>> = {
  mi: 'myocardial infarction heart attack',
  htn: 'hypertension high blood pressure',
  dm: 'diabetes mellitus',
  t2dm: 'type 2 diabetes',
  t1dm: 'type 1 diabetes',
  copd: 'chronic obstructive pulmonary disease',
  chf: 'congestive heart failure',
  cad: 'coronary artery disease',
  afib: 'atrial fibrillation',
  'a-fib': 'atrial fibrillation',
  uti: 'urinary tract infection',
  uri: 'upper respiratory infection',
  gerd: 'gastroesophageal reflux disease',
  ibs: 'irritable bowel syndrome',
  ibd: 'inflammatory bowel disease',
  ckd: 'chronic kidney disease',
  dvt: 'deep vein thrombosis',
  pe: 'pulmonary embolism',
  tia: 'transient ischemic attack',
  cva: 'stroke cerebrovascular accident',
  ra: 'rheumatoid arthritis',
  oa: 'osteoarthritis',
  ms: 'multiple sclerosis',
  als: 'amyotrophic lateral sclerosis',
  adhd: 'attention deficit hyperactivity disorder',
  ptsd: 'post-traumatic stress disorder',
  ocd: 'obsessive-compulsive disorder',
  bph: 'benign prostatic hyperplasia',
  pcos: 'polycystic ovary syndrome',
  hiv: 'human immunodeficiency virus',
  aids: 'acquired immunodeficiency syndrome',
  std: 'sexually transmitted disease',
  sti: 'sexually transmitted infection',
  tb: 'tuberculosis',
  hpv: 'human papillomavirus',
  rsv: 'respiratory syncytial virus',
  sle: 'systemic lupus erythematosus',
  nsaid: 'nonsteroidal anti-inflammatory drug',
  nsaids: 'nonsteroidal anti-inflammatory drugs',
  ssri: 'selective serotonin reuptake inhibitor',
  bp: 'blood pressure',
  hr: 'heart rate',
  sob: 'shortness of breath',
};

/** Options of {@link QueryNormalizer}. */
export interface QueryNormalizerOptions {
  /** Abbreviation table. Default {@link MEDICAL_ABBREVIATIONS}. */
  abbreviations?: Readonly<Record<string, string>>;
}

/**
 * Rewrites a question for retrieval: expands clinical abbreviations and adds the preferred name of
 * any synonym mined from the corpus (MedQuAD's focus synonyms and "Also called" lists), so
 * "Stein-Leventhal syndrome" also searches "Polycystic ovary syndrome". The original words stay.
 *
 * @example
 * const normalizer = QueryNormalizer.fromStore(store);
 * normalizer.normalize('treatment for HTN') // → 'treatment for HTN hypertension high blood pressure'
 */
export class QueryNormalizer {
  /** Synonym phrases as word lists, indexed by their first word (a regex alternation of ~15,000 phrases takes 90 ms a question). */
  private readonly byFirstWord = new Map<string, Array<{ words: string[]; preferred: string }>>();

  private constructor(
    synonyms: ReadonlyMap<string, string>,
    private readonly abbreviations: Readonly<Record<string, string>>,
  ) {
    for (const [phrase, preferred] of synonyms) {
      const words = tokenize(phrase);
      if (words.length === 0) continue;
      const list = this.byFirstWord.get(words[0]!) ?? [];
      list.push({ words, preferred });
      this.byFirstWord.set(words[0]!, list);
    }
  }

  /** Mines synonym → preferred name pairs from the store's document metadata (`synonyms` beside `focus`). */
  static fromStore(store: KnowledgeStore, options: QueryNormalizerOptions = {}): QueryNormalizer {
    const pairs: Array<[string, string]> = [];
    for (const { focus, synonyms } of store.focusSynonyms()) for (const synonym of synonyms) pairs.push([synonym, focus]);
    return QueryNormalizer.fromPairs(pairs, options);
  }

  /** A normalizer from explicit (synonym, preferred name) pairs. */
  static fromPairs(pairs: Iterable<readonly [string, string]>, options: QueryNormalizerOptions = {}): QueryNormalizer {
    const map = new Map<string, string>();
    for (const [synonym, preferred] of pairs) {
      const key = synonym.trim().toLowerCase();
      // Very short synonyms ("AAS", "MS") are ambiguous abbreviations; the abbreviation table decides those.
      if (key.length < 5 || key === preferred.trim().toLowerCase() || map.has(key)) continue;
      map.set(key, preferred.trim());
    }
    return new QueryNormalizer(map, options.abbreviations ?? MEDICAL_ABBREVIATIONS);
  }

  /**
   * The text with each abbreviation of the table it writes followed by its expansion ("PTSD and
   * IBS" → "PTSD (post-traumatic stress disorder) and IBS (irritable bowel syndrome)"), except
   * those in `except`. Short ones (under four letters) count only in capitals: "MS", not "5 ms".
   */
  spellOut(text: string, except: ReadonlySet<string> = new Set()): string {
    return text.replace(/\b[A-Za-z][A-Za-z0-9-]{1,5}\b/g, (word) => {
      const key = word.toLowerCase();
      const expansion = this.abbreviations[key];
      if (!expansion || except.has(key) || (word.length < 4 && word !== word.toUpperCase())) return word;
      return `${word} (${expansion})`;
    });
  }

  normalize(question: string): string {
    return this.expand(question).query;
  }

  /**
   * The question as searched (the original words, then the additions) and the corpus names its
   * synonyms matched, each with the words as written.
   */
  expand(question: string): { query: string; synonyms: Array<{ text: string; name: string }> } {
    const additions = new Set<string>();
    const synonyms: Array<{ text: string; name: string }> = [];
    const lower = question.toLowerCase();
    for (const word of lower.match(/[\p{L}\p{N}-]+/gu) ?? []) {
      const expansion = this.abbreviations[word];
      if (expansion && !lower.includes(expansion)) additions.add(expansion);
    }
    const words = tokenize(question.slice(0, 10_000));
    for (let i = 0; i < words.length; i++) {
      for (const candidate of this.byFirstWord.get(words[i]!) ?? []) {
        // "a shorter time period" is no menstrual period.
        if (candidate.words.length === 1 && !inSense(wordKey(candidate.words[0]!), question)) continue;
        if (candidate.words.every((w, j) => words[i + j] === w)) {
          synonyms.push({ text: candidate.words.join(' '), name: candidate.preferred });
          if (!lower.includes(candidate.preferred.toLowerCase())) additions.add(candidate.preferred);
        }
      }
    }
    return { query: additions.size ? `${question} ${[...additions].join(' ')}` : question, synonyms };
  }
}

function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
