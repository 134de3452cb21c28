import type { PatientContext } from '../answer/index.js';
import { FhirError, resolvePatient, type PatientInput } from '../fhir/index.js';
import { ApiError } from './api-error.js';
import type { AppContext } from './app-context.js';

/**
 * The request's `patient` as the clinical summary (see `resolvePatient`); a FHIR server that
 * cannot be read is a 502 `FHIR_UNAVAILABLE`, one not allowed a 400 `FHIR_SERVER_NOT_ALLOWED`.
 */
export async function patientOf(
  ctx: AppContext,
  input: PatientInput | undefined,
  signal: AbortSignal,
): Promise<PatientContext | undefined> {
  if (!input) return undefined;
  try {
    return await resolvePatient(input, { allowedServers: [], timeoutMs: 2500, maxPages: 10, ...ctx.fhir, signal });
  } catch (error) {
    if (!(error instanceof FhirError)) throw error;
    if (error.code === 'FHIR_SERVER_NOT_ALLOWED') throw new ApiError(400, error.code, error.message);
    throw new ApiError(502, 'FHIR_UNAVAILABLE', `The patient could not be read: ${error.message}`);
  }
}
