import type { FhirResource } from 'fhir/r4.js';
import { FhirClient, type FhirClientOptions } from './fhir-client.js';

/** The searches that make up a patient's record, as CDS Hooks prefetch templates spell them. */
export const PATIENT_RECORD_QUERIES = {
  patient: 'Patient/{{context.patientId}}',
  conditions: 'Condition?patient={{context.patientId}}&clinical-status=active',
  medications: 'MedicationRequest?patient={{context.patientId}}&status=active',
  allergies: 'AllergyIntolerance?patient={{context.patientId}}',
} as const;

/** Key observations: the latest laboratory and vital-sign values (see `summarizePatient`). */
export const OBSERVATION_QUERY = 'Observation?patient={{context.patientId}}&category=laboratory,vital-signs&_sort=-date';

/** A template with `{{context.patientId}}` filled in (URL-encoded). */
export function fillTemplate(template: string, patientId: string): string {
  return template.replaceAll('{{context.patientId}}', encodeURIComponent(patientId));
}

/**
 * Reads a patient's record from a FHIR server: the Patient, active conditions and medications,
 * allergies and (unless `observations` is false) key observations, all searches in parallel,
 * paged Bundles followed. Any failure (timeout, HTTP error) rejects with a `FhirError`.
 *
 * @example
 * const resources = await fetchPatientRecord({ baseUrl, accessToken, timeoutMs: 3000, maxPages: 10 }, '123');
 */
export async function fetchPatientRecord(
  options: FhirClientOptions,
  patientId: string,
  include: { observations?: boolean } = {},
): Promise<FhirResource[]> {
  const client = new FhirClient(options);
  const queries: string[] = [PATIENT_RECORD_QUERIES.conditions, PATIENT_RECORD_QUERIES.medications, PATIENT_RECORD_QUERIES.allergies];
  if (include.observations !== false) queries.push(OBSERVATION_QUERY);
  const [patient, ...lists] = await Promise.all([
    client.read(fillTemplate(PATIENT_RECORD_QUERIES.patient, patientId)),
    ...queries.map((q) => client.search(fillTemplate(q, patientId))),
  ]);
  return [patient!, ...lists.flat()];
}
