/**
 * FHIR R4 patient context: a read-only client for an EHR's FHIR server (time-limited, paged
 * Bundles followed, the token never logged), the patient-record searches, and the reduction of
 * FHIR resources to the clinical summary Galen uses (no names, identifiers, addresses, telecoms
 * or dates of birth).
 */
export { FhirClient, FhirError, resourcesOf, type FhirClientOptions } from './fhir-client.js';
export { label, medicationName, summarizePatient } from './clinical-summary.js';
export { OBSERVATION_QUERY, PATIENT_RECORD_QUERIES, fetchPatientRecord, fillTemplate } from './patient-record.js';
export {
  resolvePatient,
  type PatientBundleInput,
  type PatientFetchOptions,
  type PatientInput,
  type PatientReferenceInput,
} from './patient-input.js';
