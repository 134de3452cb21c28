/** What the asker tells Galen about the patient; every field optional. */
export interface PatientContext {
  /** Age in years; fractions for babies (0.25 = 3 months). */
  age?: number;
  sex?: 'female' | 'male' | 'other';
  pregnant?: boolean;
  conditions?: string[];
  medications?: string[];
  allergies?: string[];
  /** Key measurements in words (`eGFR 28 mL/min/1.73m2`), e.g. from FHIR Observations. */
  observations?: string[];
  /** Anything else, in the asker's words. */
  notes?: string;
}

/**
 * The patient context as one line of plain words, for the prompt and for triage ("2-month-old
 * baby" lets the infant-fever rule fire). Empty when nothing is given.
 *
 * @example
 * describePatient({ age: 0.2, sex: 'female' }) // → 'Patient: 2-month-old baby girl.'
 * describePatient({ age: 54, pregnant: false, conditions: ['asthma'] }) // → 'Patient: 54-year-old; conditions: asthma.'
 */
export function describePatient(patient: PatientContext | undefined): string {
  if (!patient) return '';
  const parts: string[] = [];
  const who: string[] = [];
  if (patient.age !== undefined) {
    if (patient.age < 1) {
      const months = Math.max(0, Math.round(patient.age * 12));
      who.push(`${months}-month-old baby${patient.sex === 'female' ? ' girl' : patient.sex === 'male' ? ' boy' : ''}`);
    } else {
      who.push(`${Math.floor(patient.age)}-year-old${patient.sex === 'female' ? ' woman' : patient.sex === 'male' ? ' man' : ''}`);
    }
  } else if (patient.sex) {
    who.push(patient.sex === 'other' ? 'person' : patient.sex);
  }
  if (patient.pregnant) who.push('pregnant');
  if (who.length) parts.push(who.join(', '));
  const list = (label: string, items: string[] | undefined) => {
    if (items?.length) parts.push(`${label}: ${items.join(', ')}`);
  };
  list('conditions', patient.conditions);
  list('medications', patient.medications);
  list('allergies', patient.allergies);
  list('observations', patient.observations);
  if (patient.notes?.trim()) parts.push(`notes: ${patient.notes.trim()}`);
  return parts.length ? `Patient: ${parts.join('; ')}.` : '';
}

/** The words of a patient item worth searching for (`Warfarin Sodium 5 MG Oral Tablet` → `warfarin`, `sodium`). */
function itemTerms(item: string): string[] {
  const generic =
    /^(oral|tablet|capsule|injection|solution|sodium|potassium|hydrochloride|extended|release|chronic|acute|essential|disorder|disease)$/;
  return item
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .filter((w) => w.length >= 4 && !generic.test(w))
    .slice(0, 2);
}

function names(text: string, terms: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return terms.some((t) => new RegExp(`(^|[^\\p{L}])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'u').test(lower));
}

/**
 * The words the patient's medications, allergies and pregnancy add to a local (never a
 * third-party) search, so passages on the question together with them are found; empty when
 * the patient has none.
 *
 * @example
 * patientSearchTerms({ medications: ['Warfarin 5 MG'], pregnant: true }) // → 'warfarin pregnancy'
 */
export function patientSearchTerms(patient: PatientContext | undefined): string {
  if (!patient) return '';
  const terms = [...(patient.medications ?? []), ...(patient.allergies ?? [])].flatMap((m) => itemTerms(m).slice(0, 1));
  if (patient.pregnant) terms.push('pregnancy');
  return [...new Set(terms)].join(' ');
}

/** A passage as the alerts see it: its number and words. */
export interface AlertPassage {
  n: number;
  text: string;
}

/**
 * What must come first in a drug answer for this patient: a recorded allergy the question names,
 * and each of the patient's medications, allergies or pregnancy that a cited passage mentions
 * together with the question's subject (`[n]`). From the record and the passages only — Galen
 * holds no interaction table. Empty when nothing applies.
 *
 * @example
 * patientAlerts('Can I take ibuprofen?', { medications: ['Warfarin'] }, [{ n: 2, text: 'Ibuprofen with warfarin raises bleeding risk.' }])
 * // → 'For this patient: the sources mention warfarin, which the patient takes [2].'
 */
export function patientAlerts(question: string, patient: PatientContext | undefined, passages: readonly AlertPassage[]): string {
  if (!patient) return '';
  const subject = subjectWords(question);
  const notes: string[] = [];
  for (const allergy of patient.allergies ?? []) {
    const terms = itemTerms(allergy);
    if (terms.length && names(question, terms)) notes.push(`the patient has a recorded allergy to ${allergy}, which the question names`);
  }
  const check = (label: string, terms: string[], what: string) => {
    if (!terms.length || names(question, terms)) return;
    const cited = passages.filter((p) => names(p.text, terms) && names(p.text, subject)).map((p) => `[${p.n}]`);
    if (cited.length) notes.push(`the sources mention ${label}, ${what} ${cited.slice(0, 2).join('')}`);
  };
  for (const m of patient.medications ?? []) check(itemTerms(m)[0] ?? m, itemTerms(m).slice(0, 1), 'which the patient takes');
  for (const a of patient.allergies ?? []) check(a, itemTerms(a), 'to which the patient has a recorded allergy');
  if (patient.pregnant) check('pregnancy', ['pregnan'], 'and the patient is pregnant');
  return notes.length ? `**For this patient:** ${notes.join('; ')}.` : '';
}

function subjectWords(question: string): string[] {
  return question
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .filter((w) => w.length >= 5);
}

/**
 * Whether a passage speaks of one of the patient's medications, allergies or pregnancy (one the
 * question does not name itself) together with the question's subject: a passage an alert of
 * {@link patientAlerts} would cite, so the answer carries it even when it quotes another.
 *
 * @example
 * mentionsPatient('Can I take ibuprofen?', { medications: ['Warfarin'] }, 'Ibuprofen with warfarin raises bleeding risk.') // → true
 */
export function mentionsPatient(question: string, patient: PatientContext | undefined, text: string): boolean {
  if (!patient) return false;
  const subject = subjectWords(question);
  if (!names(text, subject)) return false;
  const items = [...(patient.medications ?? []).map((m) => itemTerms(m).slice(0, 1)), ...(patient.allergies ?? []).map(itemTerms)];
  if (patient.pregnant) items.push(['pregnan']);
  return items.some((terms) => terms.length > 0 && !names(question, terms) && names(text, terms));
}
