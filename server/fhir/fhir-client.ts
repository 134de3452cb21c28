import { GalenError } from '../../errors/index.js';
import type { Bundle, FhirResource, OperationOutcome } from 'fhir/r4.js';

/** Why the EHR's FHIR server could not be read (never carries the access token). */
export class FhirError extends GalenError<'FHIR_TIMEOUT' | 'FHIR_HTTP' | 'FHIR_NETWORK' | 'FHIR_INVALID' | 'FHIR_SERVER_NOT_ALLOWED'> {
  override readonly name = 'FhirError';
}

/** Where and how to read a FHIR R4 server. */
export interface FhirClientOptions {
  /** The server's base URL, e.g. `https://ehr.example.org/fhir`. */
  baseUrl: string;
  /** Bearer token sent as `Authorization: Bearer …`; kept in memory for this client only, never logged. */
  accessToken?: string;
  /** Ends every read still running after this long (the whole search, pages included), ms. */
  timeoutMs: number;
  /** Most Bundle pages followed per search. */
  maxPages: number;
  /** Aborts the reads (the client went away). */
  signal?: AbortSignal;
}

/**
 * A read-only FHIR R4 REST client: reads one resource or runs a search and follows the Bundle's
 * `next` links. Every call is time-limited; failures are {@link FhirError}s whose messages name
 * the resource type and HTTP status but never the token or the patient.
 *
 * @example
 * const fhir = new FhirClient({ baseUrl, accessToken, timeoutMs: 3000, maxPages: 10 });
 * const conditions = await fhir.search('Condition?patient=123&clinical-status=active');
 */
export class FhirClient {
  private readonly base: string;

  constructor(private readonly options: FhirClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  /** `GET <base>/<path>` → the resource (a Bundle is returned as is). */
  async read(path: string): Promise<FhirResource> {
    return this.get(this.resolve(path), AbortSignal.timeout(this.options.timeoutMs));
  }

  /** A search (`Type?params`) → every resource of every page (up to `maxPages`). */
  async search(path: string): Promise<FhirResource[]> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const found: FhirResource[] = [];
    let url: string | undefined = this.resolve(path);
    for (let page = 0; url && page < this.options.maxPages; page++) {
      const bundle = await this.get(url, signal);
      if (bundle.resourceType !== 'Bundle') throw new FhirError('FHIR_INVALID', `A search for ${typeOf(path)} did not return a Bundle.`);
      for (const entry of bundle.entry ?? []) {
        if (entry.resource && entry.search?.mode !== 'outcome') found.push(entry.resource);
      }
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      url = next ? this.resolve(next) : undefined;
    }
    return found;
  }

  private resolve(path: string): string {
    if (/^https?:\/\//i.test(path)) {
      // Next links must stay on the same server: the token is only for it.
      if (!path.startsWith(`${this.base}/`) && path !== this.base)
        throw new FhirError('FHIR_INVALID', 'A Bundle link pointed to another server.');
      return path;
    }
    return `${this.base}/${path.replace(/^\/+/, '')}`;
  }

  private async get(url: string, timeout: AbortSignal): Promise<FhirResource> {
    const signal = this.options.signal ? AbortSignal.any([timeout, this.options.signal]) : timeout;
    const what = typeOf(url.slice(this.base.length + 1));
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          accept: 'application/fhir+json',
          ...(this.options.accessToken ? { authorization: `Bearer ${this.options.accessToken}` } : {}),
        },
        signal,
      });
    } catch (error) {
      if (timeout.aborted)
        throw new FhirError('FHIR_TIMEOUT', `The FHIR server did not answer for ${what} within ${this.options.timeoutMs} ms.`);
      throw new FhirError('FHIR_NETWORK', `The FHIR server could not be reached for ${what}: ${(error as Error).message}`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      if (timeout.aborted)
        throw new FhirError('FHIR_TIMEOUT', `The FHIR server did not answer for ${what} within ${this.options.timeoutMs} ms.`);
      throw new FhirError(res.ok ? 'FHIR_INVALID' : 'FHIR_HTTP', `The FHIR server answered ${what} with HTTP ${res.status} and no JSON.`);
    }
    if (!res.ok) {
      const outcome = body as OperationOutcome;
      const diagnostics = outcome?.resourceType === 'OperationOutcome' ? outcome.issue?.[0]?.code : undefined;
      throw new FhirError(
        'FHIR_HTTP',
        `The FHIR server answered ${what} with HTTP ${res.status}${diagnostics ? ` (${diagnostics})` : ''}.`,
      );
    }
    if (typeof body !== 'object' || body === null || typeof (body as { resourceType?: unknown }).resourceType !== 'string') {
      throw new FhirError('FHIR_INVALID', `The FHIR server's answer for ${what} is not a FHIR resource.`);
    }
    return body as FhirResource;
  }
}

/** The resource type a path names (`Condition?patient=…` → `Condition`): errors name it, never ids. */
function typeOf(path: string): string {
  return /^[A-Za-z]+/.exec(path)?.[0] ?? 'a resource';
}

/** The resources a search Bundle (or a single resource) holds. */
export function resourcesOf(value: FhirResource | Bundle): FhirResource[] {
  if (value.resourceType !== 'Bundle') return [value];
  return (value.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}
