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
