import type { FhirResource } from 'fhir/r4.js';
import { FhirClient, FhirError, fillTemplate, resourcesOf } from '../fhir/index.js';
import type { CdsRequest } from './cds-request.js';

/** The patient's record for one hook call, or why it could not be had. */
export type GatheredRecord = { ok: true; resources: FhirResource[]; fetched: number } | { ok: false; problem: string };

/**
 * The resources the service's prefetch templates name: taken from the request's `prefetch` where
 * the EHR sent them, otherwise read from `fhirServer` with the `fhirAuthorization` bearer token,
 * all missing ones in parallel, paged Bundles followed, within `timeoutMs` in all. A failing or
 * slow server, or a missing template with no server to ask, is `{ok: false}` — never a throw.
 * The token is used for these reads only: it is neither logged nor kept.
 */
export async function gatherRecord(
  request: CdsRequest,
  templates: Readonly<Record<string, string>>,
  patientId: string,
  options: { timeoutMs: number; maxPages: number; signal?: AbortSignal },
): Promise<GatheredRecord> {
  const resources: FhirResource[] = [];
  const missing: string[] = [];
  for (const [key, template] of Object.entries(templates)) {
    const given = request.prefetch?.[key];
    if (given) resources.push(...resourcesOf(given as FhirResource));
    else missing.push(template);
  }
  if (!missing.length) return { ok: true, resources, fetched: 0 };
  if (!request.fhirServer) return { ok: false, problem: 'The EHR sent neither the prefetched record nor a FHIR server to read it from.' };
  const client = new FhirClient({
    baseUrl: request.fhirServer,
    ...(request.fhirAuthorization ? { accessToken: request.fhirAuthorization.access_token } : {}),
    timeoutMs: options.timeoutMs,
    maxPages: options.maxPages,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    const lists = await Promise.all(
      missing.map((template) => {
        const path = fillTemplate(template, patientId);
        return path.includes('?') ? client.search(path) : client.read(path).then((r) => resourcesOf(r));
      }),
    );
    for (const list of lists) resources.push(...list);
    return { ok: true, resources, fetched: missing.length };
  } catch (error) {
    if (error instanceof FhirError) return { ok: false, problem: error.message };
    return { ok: false, problem: 'The FHIR server could not be read.' };
  }
}
