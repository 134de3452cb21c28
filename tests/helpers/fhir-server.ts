import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle, FhirResource } from 'fhir/r4.js';

/** How the test FHIR server behaves. */
export interface FhirServerBehaviour {
  /** `ok`; `fail`: every request is a 500 OperationOutcome; `slow`: every answer waits `delayMs`. */
  mode: 'ok' | 'fail' | 'slow';
  delayMs?: number;
  /** Entries per search page (small, so paging is exercised). Default 2. */
  pageSize?: number;
  /** Bearer token required; requests without it get 401. */
  token?: string;
}

/** A running FHIR R4 server. */
export interface TestFhirServer {
  url: string;
  behaviour: FhirServerBehaviour;
  /** Every request's path and query, in order. */
  requests: Array<{ path: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

/**
 * A small but real FHIR R4 REST server over HTTP: `read` (`GET /Type/id`) and `search`
 * (`GET /Type?patient=&status=&clinical-status=&_count=`) answering `searchset` Bundles with
 * `self`/`next` links and `total`, 404 OperationOutcomes for unknown resources, a bearer-token
 * check, and failing or slow modes for the tests of a misbehaving EHR.
 */
export async function startFhirServer(resources: readonly FhirResource[], behaviour: FhirServerBehaviour): Promise<TestFhirServer> {
  const requests: TestFhirServer['requests'] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    void handle(req).then(async ({ status, body }) => {
      if (behaviour.mode === 'slow') await new Promise((r) => setTimeout(r, behaviour.delayMs ?? 5000));
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/fhir+json' });
      res.end(JSON.stringify(body));
    });
  });
  async function handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', base);
    requests.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    if (behaviour.mode === 'fail') return outcome(500, 'exception', 'The FHIR server is down.');
    if (behaviour.token && req.headers.authorization !== `Bearer ${behaviour.token}`)
      return outcome(401, 'login', 'Bearer token required.');
    const [root, type, id, ...rest] = url.pathname.split('/').filter(Boolean);
    if (root !== 'fhir' || !type || rest.length) return outcome(404, 'not-found', 'Unknown path.');
    if (id) {
      const found = resources.find((r) => r.resourceType === type && r.id === id);
      return found ? { status: 200, body: found } : outcome(404, 'not-found', `${type}/${id} not found.`);
    }
    const p = url.searchParams;
    const patient = p.get('patient') ?? p.get('subject');
    const matches = resources.filter((r) => {
      if (r.resourceType !== type) return false;
      const rec = r as unknown as Record<string, unknown>;
      const ref = ((rec.subject ?? rec.patient) as { reference?: string } | undefined)?.reference;
      if (patient && ref !== `Patient/${patient.replace(/^Patient\//, '')}`) return false;
      const status = p.get('status');
      if (status && !status.split(',').includes(String(rec.status))) return false;
      const clinical = p.get('clinical-status');
      const code = (rec.clinicalStatus as { coding?: Array<{ code?: string }> } | undefined)?.coding?.[0]?.code;
      if (clinical && !clinical.split(',').includes(String(code))) return false;
      const category = p.get('category');
      if (category) {
        const cats = ((rec.category as Array<{ coding?: Array<{ code?: string }> }> | undefined) ?? [])
          .flatMap((c) => c.coding ?? [])
          .map((c) => c.code);
        if (!category.split(',').some((c) => cats.includes(c))) return false;
      }
      return true;
    });
    const count = Number(p.get('_count') ?? behaviour.pageSize ?? 2);
    const offset = Number(p.get('_offset') ?? 0);
    const page = matches.slice(offset, offset + count);
    const link: Bundle['link'] = [{ relation: 'self', url: url.toString() }];
    if (offset + count < matches.length) {
      const next = new URL(url);
      next.searchParams.set('_offset', String(offset + count));
      next.searchParams.set('_count', String(count));
      link.push({ relation: 'next', url: next.toString() });
    }
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      link,
      entry: page.map((r) => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'match' } })),
    };
    return { status: 200, body: bundle };
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  return {
    url: base,
    behaviour,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function outcome(status: number, code: string, diagnostics: string): { status: number; body: unknown } {
  return { status, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] } };
}
