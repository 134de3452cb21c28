import type { FhirResource } from 'fhir/r4.js';
import type { PatientContext } from '../answer/index.js';
import { summarizePatient } from './clinical-summary.js';
import { FhirError } from './fhir-client.js';
import { fetchPatientRecord } from './patient-record.js';

/** A FHIR R4 Bundle of the patient's resources. */
export interface PatientBundleInput {
  resourceType: 'Bundle';
  entry?: Array<{ resource?: { resourceType: string } }>;
}

/** A patient to read from the EHR's FHIR server. */
export interface PatientReferenceInput {
  fhirServer: string;
  patientId: string;
  /** Bearer token for the FHIR server: used for these reads, never logged or stored. */
  accessToken?: string;
}

/** What a chat request may say about the patient. */
export type PatientInput = PatientContext | PatientBundleInput | PatientReferenceInput;

/** How a referenced patient is read. */
export interface PatientFetchOptions {
  /** Origins (`https://ehr.example.org`) Galen may read patients from; any other is refused. */
  allowedServers: readonly string[];
  timeoutMs: number;
  maxPages: number;
  signal?: AbortSignal;
}

/**
 * Turns the request's `patient` into the clinical summary: a structured object is kept, a Bundle
 * is reduced with `summarizePatient`, and a `{fhirServer, patientId, accessToken}` reference is
 * read from that server first (only from an allowed origin: otherwise Galen could be made to call
 * any URL). Rejects with a `FhirError` when the server cannot be read.
 *
 * @example
 * await resolvePatient({ resourceType: 'Bundle', entry }, { allowedServers: [], timeoutMs: 3000, maxPages: 10 });
 */
export async function resolvePatient(input: PatientInput, options: PatientFetchOptions): Promise<PatientContext> {
  if ('resourceType' in input && input.resourceType === 'Bundle') {
    const resources = (input.entry ?? []).flatMap((e) => (e.resource ? [e.resource as FhirResource] : []));
    return summarizePatient(resources);
  }
  if ('fhirServer' in input) {
    const origin = new URL(input.fhirServer).origin;
    if (!options.allowedServers.some((s) => new URL(s).origin === origin)) {
      throw new FhirError(
        'FHIR_SERVER_NOT_ALLOWED',
        `Galen may not read patients from ${origin}: add it to fhir.allowedServers (GALEN_FHIR_SERVERS).`,
      );
    }
    const resources = await fetchPatientRecord(
      {
        baseUrl: input.fhirServer,
        ...(input.accessToken ? { accessToken: input.accessToken } : {}),
        timeoutMs: options.timeoutMs,
        maxPages: options.maxPages,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      input.patientId,
    );
    return summarizePatient(resources);
  }
  return input as PatientContext;
}
