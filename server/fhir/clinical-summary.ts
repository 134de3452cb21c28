import type {
  AllergyIntolerance,
  CodeableConcept,
  Condition,
  FhirResource,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
} from 'fhir/r4.js';
import type { PatientContext } from '../answer/index.js';

// SNOMED CT "Pregnancy" (77386006) and "Pregnant" (finding), LOINC 82810-3 "Pregnancy status".
const PREGNANCY_CODES = new Set(['77386006', '72892002']);
const PREGNANCY_STATUS_LOINC = '82810-3';
const POSITIVE_PREGNANCY = new Set(['77386006', 'LA15173-0']);

// Observations a clinician would want beside a drug question: kidney function, potassium,
// blood pressure, glucose control, weight (LOINC). Anything else is left out of the prompt.
const KEY_OBSERVATIONS: Record<string, string> = {
  '33914-3': 'eGFR',
  '62238-1': 'eGFR',
  '98979-8': 'eGFR',
  '2160-0': 'creatinine',
  '2823-3': 'potassium',
  '4548-4': 'HbA1c',
  '29463-7': 'weight',
  '85354-9': 'blood pressure',
  '8480-6': 'systolic blood pressure',
  '8462-4': 'diastolic blood pressure',
};

const INACTIVE_CONDITION = new Set(['inactive', 'remission', 'resolved']);
const ACTIVE_MEDICATION = new Set(['active', 'on-hold', 'draft', 'intended']);

/**
 * Reduces FHIR R4 resources (a Bundle's entries, or a fetched record) to the clinical summary
 * Galen uses: age in whole years (never the date of birth), sex, pregnancy, active conditions,
 * active medications, allergies and a few key observations. Names, identifiers, addresses,
 * telecoms and dates are dropped here, so nothing downstream can leak them.
 *
 * @example
 * summarizePatient(bundle.entry.map((e) => e.resource), new Date())
 * // → { age: 29, sex: 'female', pregnant: true, conditions: ['Asthma'], medications: ['Warfarin 5 MG Oral Tablet'], allergies: ['Penicillin V'] }
 */
export function summarizePatient(resources: readonly FhirResource[], now: Date = new Date()): PatientContext {
  const summary: PatientContext = {};
  const conditions: string[] = [];
  const medications: string[] = [];
  const allergies: string[] = [];
  const observations = new Map<string, { text: string; when: string }>();
  let pregnant: boolean | undefined;
  for (const r of resources) {
    switch (r.resourceType) {
      case 'Patient': {
        const age = ageOf(r, now);
        if (age !== undefined) summary.age = age;
        const sex = sexOf(r);
        if (sex) summary.sex = sex;
        break;
      }
      case 'Condition': {
        if (!conditionActive(r)) break;
        if (codes(r.code).some((c) => PREGNANCY_CODES.has(c)) || /\bpregnan/i.test(label(r.code) ?? '')) {
          pregnant = true;
          break;
        }
        pushUnique(conditions, label(r.code));
        break;
      }
      case 'MedicationRequest':
      case 'MedicationStatement':
        if (r.status && !ACTIVE_MEDICATION.has(r.status)) break;
        pushUnique(medications, medicationName(r));
        break;
      case 'AllergyIntolerance':
        if (!allergyActive(r)) break;
        pushUnique(allergies, label(r.code));
        break;
      case 'Observation': {
        if (r.status === 'entered-in-error' || r.status === 'cancelled') break;
        const loinc = codes(r.code);
        if (loinc.includes(PREGNANCY_STATUS_LOINC)) {
          const value = codes(r.valueCodeableConcept);
          if (value.length) pregnant = value.some((v) => POSITIVE_PREGNANCY.has(v));
          break;
        }
        const name = loinc.map((c) => KEY_OBSERVATIONS[c]).find(Boolean);
        const text = name ? observationText(name, r) : undefined;
        if (!name || !text) break;
        const when = r.effectiveDateTime ?? r.issued ?? '';
        const prev = observations.get(name);
        if (!prev || when > prev.when) observations.set(name, { text, when });
        break;
      }
      default:
        break;
    }
  }
  if (pregnant !== undefined) summary.pregnant = pregnant;
  if (conditions.length) summary.conditions = conditions.slice(0, 20);
  if (medications.length) summary.medications = medications.slice(0, 30);
  if (allergies.length) summary.allergies = allergies.slice(0, 20);
  if (observations.size) summary.observations = [...observations.values()].map((o) => o.text).slice(0, 10);
  return summary;
}

/** A MedicationRequest's or MedicationStatement's drug, as words. */
export function medicationName(r: MedicationRequest | MedicationStatement): string | undefined {
  return label(r.medicationCodeableConcept) ?? r.medicationReference?.display?.trim() ?? undefined;
}

function ageOf(patient: Patient, now: Date): number | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(patient.birthDate ?? '');
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2] ?? 7), Number(m[3] ?? 1)];
  const end = patient.deceasedDateTime ? new Date(patient.deceasedDateTime) : now;
  let months = (end.getUTCFullYear() - y) * 12 + (end.getUTCMonth() + 1 - mo);
  if (end.getUTCDate() < d) months--;
  if (months < 0 || months > 130 * 12) return undefined;
  // Babies in whole months (triage rules care), everyone else in whole years.
  return months < 12 ? Math.round((months / 12) * 100) / 100 : Math.floor(months / 12);
}

function sexOf(patient: Patient): PatientContext['sex'] | undefined {
  if (patient.gender === 'female' || patient.gender === 'male') return patient.gender;
  return patient.gender === 'other' ? 'other' : undefined;
}

function conditionActive(c: Condition): boolean {
  const status = codes(c.clinicalStatus)[0];
  const verification = codes(c.verificationStatus)[0];
  if (verification === 'refuted' || verification === 'entered-in-error') return false;
  return !status || !INACTIVE_CONDITION.has(status);
}

function allergyActive(a: AllergyIntolerance): boolean {
  const status = codes(a.clinicalStatus)[0];
  const verification = codes(a.verificationStatus)[0];
  if (verification === 'refuted' || verification === 'entered-in-error') return false;
  return status !== 'inactive' && status !== 'resolved';
}

function observationText(name: string, o: Observation): string | undefined {
  const q = o.valueQuantity;
  if (q?.value !== undefined) return `${name} ${q.value}${q.unit ? ` ${q.unit}` : ''}`;
  const parts = (o.component ?? []).flatMap((c) => (c.valueQuantity?.value !== undefined ? [String(c.valueQuantity.value)] : []));
  if (parts.length)
    return `${name} ${parts.join('/')}${o.component?.[0]?.valueQuantity?.unit ? ` ${o.component[0].valueQuantity.unit}` : ''}`;
  return o.valueString ? `${name} ${o.valueString.slice(0, 60)}` : undefined;
}

function codes(concept: CodeableConcept | undefined): string[] {
  return (concept?.coding ?? []).flatMap((c) => (c.code ? [c.code] : []));
}

/** A concept's words: its text, else its first coding's display. */
export function label(concept: CodeableConcept | undefined): string | undefined {
  const text = concept?.text?.trim() || concept?.coding?.find((c) => c.display?.trim())?.display?.trim();
  return text ? text.slice(0, 200) : undefined;
}

function pushUnique(list: string[], value: string | undefined): void {
  if (value && !list.some((v) => v.toLowerCase() === value.toLowerCase())) list.push(value);
}
