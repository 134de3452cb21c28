import type { Evidence } from '../../retrieval/pipeline/index.js';
import { splitSentences } from '../answer/index.js';
import { mentions } from './evidence-finder.js';

/** A drug class an allergy may be recorded as, with members Galen knows without its sources. */
export interface DrugClass {
  /** How cards name it. */
  name: string;
  /** Matches the class's names in an allergy label or in a source's class statement. */
  names: RegExp;
  /** Generic names of members (lowercase); not exhaustive. */
  members: readonly string[];
}

/**
 * The short class list: classes allergies are often recorded as, with their common members.
 * Not exhaustive (no terminology service is behind it), and the cards say so; the classes the
 * corpus states for a drug ("X is in a class of medications called Y") add to it.
 */
export const DRUG_CLASSES: readonly DrugClass[] = [
  {
    name: 'penicillins',
    names: /\bpenicillin/i,
    members: [
      'penicillin',
      'amoxicillin',
      'ampicillin',
      'piperacillin',
      'dicloxacillin',
      'flucloxacillin',
      'nafcillin',
      'oxacillin',
      'cloxacillin',
      'ticarcillin',
    ],
  },
  {
    name: 'sulfonamide antibiotics',
    names: /\bsul(f|ph)(onamide|a\b|a drug)/i,
    members: ['sulfamethoxazole', 'sulfadiazine', 'sulfisoxazole', 'sulfacetamide', 'sulfasalazine'],
  },
  {
    name: 'NSAIDs',
    names: /\bnsaids?\b|\bnon-?steroidal anti-?inflammatory/i,
    members: [
      'ibuprofen',
      'naproxen',
      'diclofenac',
      'ketoprofen',
      'indomethacin',
      'ketorolac',
      'meloxicam',
      'piroxicam',
      'celecoxib',
      'aspirin',
    ],
  },
  {
    name: 'cephalosporins',
    names: /\bcephalosporin/i,
    members: ['cephalexin', 'cefalexin', 'cefazolin', 'cefuroxime', 'ceftriaxone', 'cefdinir', 'cefpodoxime', 'cefixime', 'cefepime'],
  },
  {
    name: 'macrolides',
    names: /\bmacrolide/i,
    members: ['azithromycin', 'clarithromycin', 'erythromycin'],
  },
];

/** A sentence of a source that states a drug's class. */
export interface ClassStatement {
  /** The class as stated ("penicillin-like antibiotics"). */
  phrase: string;
  sentence: string;
  evidence: Evidence;
}

// MedlinePlus drug information: "Amoxicillin is in a class of medications called penicillin-like
// antibiotics."; encyclopaedic text: "Amoxicillin is a penicillin antibiotic".
const IN_CLASS = /\b(?:is|are) in a (?:class|group) of (?:medications|medicines|drugs) called ([^.;:]{3,80})/i;
const IS_A = /\b(?:is|are) an? ([^.;:,()]{3,60}?\b(?:antibiotics?|drugs?|medicines?|medications?|agents?|inhibitors?|blockers?))\b/i;

/**
 * The classes the passages state for the drug named by `drugTerms`: sentences whose subject (the
 * words before the verb) names the drug.
 */
export function statedClasses(drugTerms: readonly string[], passages: readonly Evidence[]): ClassStatement[] {
  const out: ClassStatement[] = [];
  for (const evidence of passages)
    for (const sentence of splitSentences(evidence.text)) {
      const match = IN_CLASS.exec(sentence) ?? IS_A.exec(sentence);
      if (!match || !mentions(sentence.slice(0, match.index), drugTerms)) continue;
      out.push({ phrase: match[1]!.trim(), sentence, evidence });
    }
  return out;
}

/** The listed class an allergy label names ("Penicillins", "Sulfa drugs", "NSAIDs"), if any. */
export function listedClass(allergy: string): DrugClass | undefined {
  return DRUG_CLASSES.find((c) => c.names.test(allergy));
}

const NOT_A_CLASS_WORD = /\b(allerg\w*|drugs?|medications?|medicines?|agents?|substances?|class|group)\b/g;

/**
 * Whether a class stated by a source is the class an allergy is recorded as: both name the same
 * listed class, or the allergy's words (singular, without "drugs", "allergy"…) occur in the
 * stated class ("Beta blockers" in "beta blockers").
 */
export function sameClass(allergy: string, stated: string): boolean {
  const listed = listedClass(allergy);
  if (listed) return listed.names.test(stated);
  const words = (text: string) =>
    text
      .toLowerCase()
      .replace(NOT_A_CLASS_WORD, ' ')
      .split(/[^\p{L}]+/u)
      .filter(Boolean)
      .map((w) => w.replace(/s$/, ''));
  const wanted = words(allergy).join(' ');
  return wanted.length >= 4 && ` ${words(stated).join(' ')} `.includes(` ${wanted} `);
}
