import { keyTerms, mentions } from './evidence-finder.js';

/**
 * The one documented rule that may make a card critical (besides the rule-based red-flag
 * triage): the ordered drug is itself a substance the patient has a recorded, active allergy to
 * (a word of the order's drug name is a word of the allergy's substance, e.g. order "Amoxicillin
 * 500 MG" against allergy "Amoxicillin"). Drug classes (penicillins) are not expanded here: that
 * needs a terminology service, and Galen has none, so class conflicts come only as evidence.
 *
 * @example
 * allergyConflicts('Penicillin V Potassium 250 MG', ['Penicillin V', 'Peanut']) // → ['Penicillin V']
 */
export function allergyConflicts(drug: string, allergies: readonly string[]): string[] {
  const drugTerms = keyTerms(drug);
  return allergies.filter((a) => drugTerms.length > 0 && mentions(a, drugTerms));
}
