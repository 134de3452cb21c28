import { type ClassStatement, listedClass, sameClass } from './drug-classes.js';
import { keyTerms, mentions } from './evidence-finder.js';

/**
 * The first documented rule that may make a card critical (besides the rule-based red-flag
 * triage): the ordered drug is itself a substance the patient has a recorded, active allergy to
 * (a word of the order's drug name is a word of the allergy's substance, e.g. order "Amoxicillin
 * 500 MG" against allergy "Amoxicillin").
 *
 * @example
 * allergyConflicts('Penicillin V Potassium 250 MG', ['Penicillin V', 'Peanut']) // → ['Penicillin V']
 */
export function allergyConflicts(drug: string, allergies: readonly string[]): string[] {
  const drugTerms = keyTerms(drug);
  return allergies.filter((a) => drugTerms.length > 0 && mentions(a, drugTerms));
}

/** An allergy recorded as a drug class the ordered drug belongs to, and what says it belongs. */
export interface ClassConflict {
  allergy: string;
  /** The class as the source states it, or the listed class's name. */
  className: string;
  /** The source sentence stating the drug's class; absent when only the short class list says so. */
  statement?: ClassStatement;
}

/**
 * The second documented rule: an allergy recorded as a class ("Penicillins", "Sulfa drugs",
 * "NSAIDs", "Beta blockers") conflicts with a member ordered. Membership comes from the classes
 * the corpus states for the drug (`statements`, e.g. MedlinePlus's "is in a class of medications
 * called …") and from Galen's short class list, which is not exhaustive: no conflict found is no
 * proof there is none.
 *
 * @example
 * classConflicts('Amoxicillin 500 MG Oral Capsule', ['Penicillins'], []) // → [{allergy: 'Penicillins', className: 'penicillins'}]
 */
export function classConflicts(drug: string, allergies: readonly string[], statements: readonly ClassStatement[]): ClassConflict[] {
  const drugTerms = keyTerms(drug);
  if (!drugTerms.length) return [];
  const out: ClassConflict[] = [];
  for (const allergy of allergies) {
    const statement = statements.find((s) => sameClass(allergy, s.phrase));
    if (statement) {
      out.push({ allergy, className: statement.phrase, statement });
      continue;
    }
    const listed = listedClass(allergy);
    if (listed?.members.some((m) => drugTerms.includes(m))) out.push({ allergy, className: listed.name });
  }
  return out;
}
