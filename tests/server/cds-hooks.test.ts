import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Bundle, FhirResource, MedicationRequest } from 'fhir/r4.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { loadConfig } from '../../server/config/index.js';
import { fillTemplate, PATIENT_RECORD_QUERIES } from '../../server/fhir/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import { type TestFhirServer, startFhirServer } from '../helpers/fhir-server.js';
import { ROOT, tempDir } from '../helpers/paths.js';
import { MINI_CORPUS } from './chat-server.js';

const DRUG_CORPUS = join(ROOT, 'tests', 'server', 'fixtures', 'drug-corpus.jsonl');
const fixture = (name: string) => JSON.parse(readFileSync(join(ROOT, 'tests', 'fixtures', 'fhir', name), 'utf8')) as Bundle;
/** Synthea-style transaction Bundles: a pregnant woman with asthma and hypertension on warfarin and lisinopril (penicillin and peanut allergies); a man whose allergies are recorded as drug classes; and another patient on the same server. */
const PATIENT_BUNDLE = fixture('synthea-pregnant-patient.json');
const CLASS_ALLERGIES_BUNDLE = fixture('synthea-class-allergies-patient.json');
const OTHER_BUNDLE = fixture('synthea-ckd-gout-patient.json');
const IDENTIFIERS = [
  'Mariabella',
  'Synthetica',
  'Prosacco',
  'MRN-778899',
  '999-41-7733',
  'S99941277',
  'X41277339X',
  '555-867-5309',
  'mariabella.synthetica@example.org',
  '42 Wallaby Way',
  '1996-03-15',
  PATIENT_BUNDLE.entry![0]!.resource!.id!,
];
const FHIR_TOKEN = 'fhir-token-5f2b9c1e-never-log-me';
const ISS = 'https://ehr.example.org';

let server: RunningServer;
let logs = '';
let tmp: ReturnType<typeof tempDir>;
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let privateKey: SigningKey;
let otherKey: SigningKey;
let fhir: TestFhirServer;
/** The patients' ids on the FHIR server, which assigns them when it loads the Bundles. */
let patientId: string;
let classAllergiesPatientId: string;
/** What an EHR prefetches for the services' templates, read from the FHIR server (every match on one page). */
let PREFETCH: Record<string, FhirResource>;
let CLASS_ALLERGIES_PREFETCH: Record<string, FhirResource>;

async function loadPatient(bundle: Bundle): Promise<string> {
  const ids = await fhir.load(bundle);
  return ids.get(bundle.entry![0]!.fullUrl!)!.replace(/^Patient\//, '');
}

async function prefetchFor(id: string): Promise<Record<string, FhirResource>> {
  const prefetch: Record<string, FhirResource> = {};
  for (const [key, template] of Object.entries(PATIENT_RECORD_QUERIES)) {
    const path = fillTemplate(template, id);
    const res = await fetch(`${fhir.url}/${path}${path.includes('?') ? '&_count=100' : ''}`, {
      headers: { authorization: `Bearer ${FHIR_TOKEN}` },
    });
    expect(res.status).toBe(200);
    prefetch[key] = (await res.json()) as FhirResource;
  }
  return prefetch;
}

beforeAll(async () => {
  tmp = tempDir('galen-cds-');
  const dataDir = join(tmp.dir, 'data');
  const store = KnowledgeStore.open({ dataDir });
  try {
    await ingest(store, { source: 'mini', paths: [MINI_CORPUS], format: 'jsonl', license: 'CC BY 4.0', attribution: 'Galen test corpus' });
    await ingest(store, { source: 'drugs', paths: [DRUG_CORPUS], format: 'jsonl', license: 'CC BY 4.0', attribution: 'Galen test corpus' });
  } finally {
    store.close();
  }
  const keys = await generateKeyPair('ES384', { extractable: true });
  privateKey = keys.privateKey;
  otherKey = (await generateKeyPair('ES384')).privateKey;
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'ehr-1', alg: 'ES384', use: 'sig' };
  const jwksFile = join(tmp.dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  const issuersFile = join(tmp.dir, 'issuers.json');
  writeFileSync(issuersFile, JSON.stringify([{ iss: ISS, jwksFile }]));
  // A real FHIR R4 server, two search results a page (so Galen follows next links), holding three patients.
  fhir = await startFhirServer({ mode: 'ok', token: FHIR_TOKEN, pageSize: 2 });
  patientId = await loadPatient(PATIENT_BUNDLE);
  classAllergiesPatientId = await loadPatient(CLASS_ALLERGIES_BUNDLE);
  await loadPatient(OTHER_BUNDLE);
  IDENTIFIERS.push(patientId);
  PREFETCH = await prefetchFor(patientId);
  CLASS_ALLERGIES_PREFETCH = await prefetchFor(classAllergiesPatientId);
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  const config = loadConfig({
    env: { GALEN_CDS_ISSUERS: issuersFile, GALEN_PUBLIC_URL: 'https://galen.example.org', GALEN_CDS_FHIR_TIMEOUT_MS: '800' },
    overrides: {
      dataDir,
      server: { port: 0, retrievalWorkers: 0 },
      seed: { enabled: false },
      wikipedia: { enabled: false },
      vectors: { enabled: false },
    },
  });
  server = await startServer(config, pino({ level: 'debug' }, sink));
  await server.ready;
  await server.indexed;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await fhir?.close();
  tmp?.cleanup();
});

function jwt(
  service: string,
  options: { key?: SigningKey; aud?: string; exp?: string | number; jti?: string; iss?: string } = {},
): Promise<string> {
  const signer = new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', kid: 'ehr-1', typ: 'JWT' })
    .setIssuer(options.iss ?? ISS)
    .setAudience(options.aud ?? `https://galen.example.org/cds-services/${service}`)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .setJti(options.jti ?? crypto.randomUUID());
  return signer.sign(options.key ?? privateKey);
}

async function call(service: string, body: unknown, token?: string | null): Promise<Response> {
  const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token ?? (await jwt(service))}` };
  return fetch(`${server.url}/cds-services/${service}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(body),
  });
}

function order(id: string, display: string): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    medicationCodeableConcept: { text: display },
  };
}

function orderSelect(drugs: MedicationRequest[], extra: Record<string, unknown> = {}) {
  return {
    hook: 'order-select',
    hookInstance: crypto.randomUUID(),
    context: {
      userId: 'Practitioner/123',
      patientId,
      selections: drugs.map((d) => `MedicationRequest/${d.id}`),
      draftOrders: { resourceType: 'Bundle', entry: drugs.map((resource) => ({ resource })) },
    },
    ...extra,
  };
}

interface Card {
  uuid: string;
  summary: string;
  detail: string;
  indicator: string;
  source: { label: string };
  links?: Array<{ url: string; type: string }>;
}

function expectSpecCard(card: Card): void {
  expect(card.uuid).toMatch(/^[0-9a-f-]{36}$/);
  expect(card.summary.length).toBeLessThan(140);
  expect(['info', 'warning', 'critical']).toContain(card.indicator);
  expect(card.source.label).toMatch(/Galen/);
  expect(card.detail).toMatch(/not a complete drug-interaction|could not|rule-based/);
  for (const link of card.links ?? []) {
    expect(link.type).toBe('absolute');
    expect(link.url).toMatch(/^https?:\/\//);
  }
  // Every [n] in the detail is a numbered source.
  for (const [, n] of card.detail.matchAll(/\[(\d+)\](?!\()/g)) expect(card.detail).toContain(`\n${n}. `);
}

describe('discovery', () => {
  it('lists patient-view, order-select and order-sign with the prefetch templates, without a JWT', async () => {
    const res = await fetch(`${server.url}/cds-services`);
    expect(res.status).toBe(200);
    const { services } = (await res.json()) as {
      services: Array<{ id: string; hook: string; title: string; description: string; prefetch: Record<string, string> }>;
    };
    expect(services.map((s) => s.hook).sort()).toEqual(['order-select', 'order-sign', 'patient-view']);
    for (const s of services) {
      expect(s.id && s.title && s.description).toBeTruthy();
      expect(Object.values(s.prefetch).sort()).toEqual(
        [
          'AllergyIntolerance?patient={{context.patientId}}',
          'Condition?patient={{context.patientId}}&clinical-status=active',
          'MedicationRequest?patient={{context.patientId}}&status=active',
          'Patient/{{context.patientId}}',
        ].sort(),
      );
    }
  });
});

describe('order-select', () => {
  it('answers from prefetch: interaction with warfarin, pregnancy and asthma as a warning card with cited sources', async () => {
    const before = fhir.requests.length;
    const res = await call('galen-order-select', orderSelect([order('o1', 'Ibuprofen 400 MG Oral Tablet')], { prefetch: PREFETCH }));
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: Card[] };
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expectSpecCard(card);
    expect(card.indicator).toBe('warning');
    expect(card.summary).toMatch(/Ibuprofen: check .*Warfarin/);
    expect(card.detail).toMatch(/warfarin increases the risk of serious bleeding/);
    expect(card.detail).toMatch(/\*\*Pregnancy:\*\*.*20 weeks of pregnancy/);
    expect(card.detail).toMatch(/asthma worse/);
    expect(card.links?.map((l) => l.url)).toContain('https://example.org/drugs/ibuprofen');
    expect(fhir.requests.length).toBe(before);
  });

  it('makes a recorded allergy to the ordered drug critical (the documented contraindication rule)', async () => {
    const { cards } = (await (
      await call('galen-order-select', orderSelect([order('o2', 'Penicillin V Potassium 250 MG Oral Tablet')], { prefetch: PREFETCH }))
    ).json()) as { cards: Card[] };
    expect(cards).toHaveLength(1);
    expect(cards[0]!.indicator).toBe('critical');
    expect(cards[0]!.detail).toMatch(/recorded allergy to Penicillin/);
  });

  it('makes an allergy to the class of the ordered drug critical, citing the source that states the class', async () => {
    const { cards } = (await (
      await call('galen-order-select', orderSelect([order('o3', 'Amoxicillin 500 MG Oral Capsule')], { prefetch: PREFETCH }))
    ).json()) as { cards: Card[] };
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expectSpecCard(card);
    expect(card.indicator).toBe('critical');
    expect(card.summary).toMatch(/Penicillin allergy \(drug class\)/);
    expect(card.detail).toMatch(
      /recorded allergy to Penicillin, and amoxicillin is in that class \(penicillin antibiotic; Galen's sources: Amoxicillin is a penicillin antibiotic[^)]*\[\d\]\)/,
    );
    expect(card.detail).toMatch(/short list \(penicillins, sulfonamide antibiotics, NSAIDs, .*\) that is not exhaustive/);
    expect(card.links?.map((l) => l.url)).toContain('https://example.org/drugs/amoxicillin');
  });

  it('returns no card when the corpus says nothing about the drug', async () => {
    const res = await call('galen-order-select', orderSelect([order('o4', 'Zyntrafolimab 10 MG Injection')], { prefetch: PREFETCH }));
    expect(await res.json()).toEqual({ cards: [] });
  });

  it('fetches what is missing from the FHIR server with the bearer token, following pages, and never logs the token or the patient', async () => {
    const before = fhir.requests.length;
    const res = await call(
      'galen-order-select',
      orderSelect([order('o1', 'Ibuprofen 400 MG Oral Tablet')], {
        fhirServer: fhir.url,
        fhirAuthorization: { access_token: FHIR_TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'galen' },
      }),
    );
    const { cards } = (await res.json()) as { cards: Card[] };
    expect(cards[0]!.detail).toMatch(/warfarin increases/);
    const made = fhir.requests.slice(before);
    expect(made.every((r) => r.authorization === `Bearer ${FHIR_TOKEN}`)).toBe(true);
    const paths = made.map((r) => decodeURIComponent(r.path));
    // The four prefetch templates, as CDS Hooks writes them, against the real server...
    for (const template of Object.values(PATIENT_RECORD_QUERIES)) expect(paths).toContain(`/fhir/${fillTemplate(template, patientId)}`);
    // ...and the second page of the three active conditions (two a page), from the Bundle's next link.
    expect(paths).toContain(`/fhir/Condition?_count=2&_offset=2&clinical-status=active&patient=Patient/${patientId}`);
    const audit = readFileSync(join(tmp.dir, 'data', 'audit.log'), 'utf8');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const text of [logs, audit, metrics]) {
      expect(text).not.toContain(FHIR_TOKEN);
      for (const id of IDENTIFIERS) expect(text).not.toContain(id);
    }
  });
});

describe('order-sign and patient-view', () => {
  it('order-sign covers every draft order', async () => {
    const body = {
      ...orderSelect([order('s1', 'Ibuprofen 200 MG'), order('s2', 'Amoxicillin 250 MG')], { prefetch: PREFETCH }),
      hook: 'order-sign',
    };
    delete (body.context as { selections?: string[] }).selections;
    const { cards } = (await (await call('galen-order-sign', body)).json()) as { cards: Card[] };
    expect(cards.map((c) => c.summary.split(':')[0])).toEqual(['Ibuprofen', 'Amoxicillin']);
  });

  it("patient-view (the spec's example request) gives at most three cards on the active problems", async () => {
    const spec = {
      hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
      fhirServer: fhir.url,
      hook: 'patient-view',
      fhirAuthorization: {
        access_token: FHIR_TOKEN,
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'user/Patient.read user/Observation.read',
        subject: 'cds-service4',
      },
      context: { userId: 'Practitioner/example', patientId, encounterId: '89284' },
      prefetch: { patientToGreet: { resourceType: 'Patient', gender: 'female', birthDate: '1996-03-15', id: patientId, active: true } },
    };
    const { cards } = (await (await call('galen-patient-view', spec)).json()) as { cards: Card[] };
    expect(cards.length).toBeGreaterThan(0);
    expect(cards.length).toBeLessThanOrEqual(3);
    cards.forEach(expectSpecCard);
    expect(cards[0]!.summary).toMatch(/^Asthma/);
    expect(cards[0]!.detail).toMatch(/specialist|emergency/);
  });
});

describe('a misbehaving FHIR server', () => {
  it.each([
    ['failing', { mode: 'fail' as const }],
    ['slow', { mode: 'slow' as const, delayMs: 5000 }],
  ])('a %s server gives a could-not-gather card with HTTP 200', async (_name, behaviour) => {
    // The real server with the patient loaded, then failing or slow in front.
    const bad = await startFhirServer({ mode: 'ok' });
    try {
      const ids = await bad.load(PATIENT_BUNDLE);
      Object.assign(bad.behaviour, behaviour);
      const body = orderSelect([order('o1', 'Ibuprofen 400 MG')], {
        fhirServer: bad.url,
        fhirAuthorization: { access_token: FHIR_TOKEN, token_type: 'Bearer' },
      });
      body.context.patientId = ids.get(PATIENT_BUNDLE.entry![0]!.fullUrl!)!.replace(/^Patient\//, '');
      const started = Date.now();
      const res = await call('galen-order-select', body);
      expect(res.status).toBe(200);
      const { cards } = (await res.json()) as { cards: Card[] };
      expect(cards).toHaveLength(1);
      expect(cards[0]!.summary).toMatch(/could not gather/);
      expect(cards[0]!.indicator).toBe('info');
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await bad.close();
    }
  });
});

describe('JWT security', () => {
  const body = () => orderSelect([order('o1', 'Ibuprofen 400 MG')], { prefetch: PREFETCH });
  it.each([
    ['missing', async () => null, 'CDS_JWT_REQUIRED'],
    ['not a JWT', async () => 'not-a-jwt', 'CDS_JWT_INVALID'],
    ['expired', async () => jwt('galen-order-select', { exp: Math.floor(Date.now() / 1000) - 600 }), 'CDS_JWT_INVALID'],
    [
      'for another audience',
      async () => jwt('galen-order-select', { aud: 'https://galen.example.org/cds-services/other' }),
      'CDS_JWT_INVALID',
    ],
    ['signed with another key', async () => jwt('galen-order-select', { key: otherKey }), 'CDS_JWT_INVALID'],
    ['from an untrusted issuer', async () => jwt('galen-order-select', { iss: 'https://evil.example.org' }), 'CDS_JWT_INVALID'],
    [
      'unsigned (alg none)',
      async () => {
        const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: ISS, aud: 'https://galen.example.org/cds-services/galen-order-select', iat: now, exp: now + 300, jti: 'x1' })}.`;
      },
      'CDS_JWT_INVALID',
    ],
  ])('refuses a %s token with 401', async (_name, token, code) => {
    const res = await call('galen-order-select', body(), await token());
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('refuses a replayed jti', async () => {
    const token = await jwt('galen-order-select', { jti: 'once-only' });
    expect((await call('galen-order-select', body(), token)).status).toBe(200);
    const again = await call('galen-order-select', body(), token);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('CDS_JWT_REPLAYED');
  });

  it('validates the request: wrong hook, missing context, unknown service', async () => {
    const wrongHook = await call('galen-order-select', { ...body(), hook: 'patient-view' });
    expect(wrongHook.status).toBe(400);
    const noSelections = await call('galen-order-select', {
      hook: 'order-select',
      hookInstance: 'x',
      context: { userId: 'u', patientId: 'p' },
    });
    expect(noSelections.status).toBe(400);
    expect(((await noSelections.json()) as { error: { message: string } }).error.message).toMatch(/context/);
    expect((await call('nope', body())).status).toBe(404);
  });
});

describe('feedback', () => {
  it('stores the feedback and counts it in metrics', async () => {
    const service = 'galen-order-select';
    const res = await fetch(`${server.url}/cds-services/${service}/feedback`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await jwt(service, { aud: `https://galen.example.org/cds-services/${service}/feedback` })}`,
      },
      body: JSON.stringify({
        feedback: [
          {
            card: '9368d37b-283f-44a0-93ea-547cebab93ea',
            outcome: 'overridden',
            overrideReason: {
              reason: { code: 'pt-consented', system: 'https://example.org/reasons', display: 'Patient consented' },
              userComment: 'discussed',
            },
            outcomeTimestamp: '2026-12-02T10:00:00Z',
          },
          { card: '1f4ea1a5-b3bf-4a7f-9a3d-4c0e9b1ddd5a', outcome: 'accepted', outcomeTimestamp: '2026-12-02T10:01:00Z' },
        ],
      }),
    });
    expect(await res.json()).toEqual({ stored: 2 });
    const stored = readFileSync(join(tmp.dir, 'data', 'cds-feedback.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(stored.map((s) => s.outcome)).toEqual(['overridden', 'accepted']);
    expect(stored[0].overrideReason.code).toBe('pt-consented');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/galen_cds_feedback_total\{service="galen-order-select",outcome="overridden"\} 1/);
    const bad = await fetch(`${server.url}/cds-services/${service}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await jwt(service)}` },
      body: JSON.stringify({ feedback: [{ card: 'x', outcome: 'maybe', outcomeTimestamp: 'now' }] }),
    });
    expect(bad.status).toBe(400);
  });
});

describe('the /cds-services gate and insecure mode', () => {
  it('applies the body limit to CDS calls (413)', async () => {
    const huge = { ...orderSelect([order('o1', 'Ibuprofen 400 MG')], { prefetch: PREFETCH }), padding: 'x'.repeat(300 * 1024) };
    expect((await call('galen-order-select', huge)).status).toBe(413);
  });

  it('GALEN_CDS_INSECURE=true accepts calls without a JWT and says so loudly at start', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _e, done) {
        out += chunk.toString();
        done();
      },
    });
    const insecure = await startServer(
      loadConfig({
        env: { GALEN_CDS_INSECURE: 'true' },
        overrides: {
          dataDir: join(tmp.dir, 'insecure'),
          server: { port: 0, retrievalWorkers: 0 },
          seed: { enabled: false },
          wikipedia: { enabled: false },
          vectors: { enabled: false },
        },
      }),
      pino({ level: 'info' }, sink),
    );
    try {
      await insecure.ready;
      expect(out).toMatch(/"level":40.*GALEN_CDS_INSECURE is on.*WITHOUT a valid EHR JWT/);
      const res = await fetch(`${insecure.url}/cds-services/galen-order-select`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(orderSelect([order('o1', 'Ibuprofen 400 MG')], { prefetch: PREFETCH })),
      });
      expect(res.status).toBe(200);
    } finally {
      await insecure.close();
    }
  });
});

describe('audit and OpenAPI', () => {
  interface AuditLine {
    route: string;
    path: string;
    status: number;
    who: string;
    service?: string;
    hook?: string;
    outcome?: string;
    cards?: number;
  }
  const auditLines = () =>
    readFileSync(join(tmp.dir, 'data', 'audit.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);

  it('audits each call with its service, hook, outcome and card count, never the patient or the FHIR token', async () => {
    const before = auditLines().length;
    const withCards = await call('galen-order-select', orderSelect([order('a1', 'Ibuprofen 400 MG Oral Tablet')], { prefetch: PREFETCH }));
    const cards = ((await withCards.json()) as { cards: Card[] }).cards.length;
    expect(cards).toBeGreaterThan(0);
    await (await call('galen-order-select', orderSelect([order('a2', 'Zyntrafolimab 10 MG Injection')], { prefetch: PREFETCH }))).json();
    await (
      await call(
        'galen-order-select',
        orderSelect([order('a3', 'Ibuprofen 400 MG')], {
          fhirServer: 'http://127.0.0.1:9/fhir',
          fhirAuthorization: { access_token: FHIR_TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'galen' },
        }),
      )
    ).json();
    await (await call('galen-patient-view', { hook: 'order-select', hookInstance: 'x', context: {} })).json();
    const unsigned = await call('galen-order-select', orderSelect([order('a4', 'Ibuprofen')], { prefetch: PREFETCH }), null);
    expect(unsigned.status).toBe(401);
    await unsigned.text();
    await expect.poll(() => auditLines().length - before).toBe(5);
    const lines = auditLines().slice(before);
    expect(lines[0]).toMatchObject({
      route: '/cds-services/:id',
      path: '/cds-services/galen-order-select',
      status: 200,
      who: `ehr:${ISS}`,
      service: 'galen-order-select',
      hook: 'order-select',
      outcome: 'cards',
      cards,
    });
    expect(lines[1]).toMatchObject({ status: 200, service: 'galen-order-select', outcome: 'no-cards', cards: 0 });
    expect(lines[2]).toMatchObject({ status: 200, service: 'galen-order-select', outcome: 'record-unavailable', cards: 1 });
    expect(lines[3]).toMatchObject({ status: 400, service: 'galen-patient-view', hook: 'patient-view', outcome: 'refused' });
    expect(lines[4]).toMatchObject({ status: 401, who: 'unauthenticated', path: '/cds-services/galen-order-select' });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(FHIR_TOKEN);
    for (const id of IDENTIFIERS) expect(text).not.toContain(id);
  });

  it('describes /cds-services in /openapi.json', async () => {
    type Operation = {
      security?: unknown[];
      requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.paths['/cds-services']).toHaveProperty('get');
    const callOp = doc.paths['/cds-services/{id}']!.post!;
    expect(callOp.security).toEqual([{ ehrJwt: [] }]);
    expect(callOp.requestBody!.content['application/json']!.schema.properties).toHaveProperty('hookInstance');
    expect(doc.paths['/cds-services/{id}/feedback']!.post!.requestBody!.content['application/json']!.schema.properties).toHaveProperty(
      'feedback',
    );
    expect(doc.components.securitySchemes).toHaveProperty('ehrJwt');
  });
});

describe('allergies recorded as a drug class', () => {
  const select = (drug: string) => {
    const body = orderSelect([order('k1', drug)], { prefetch: CLASS_ALLERGIES_PREFETCH });
    body.context.patientId = classAllergiesPatientId;
    return body;
  };
  const cardFor = async (drug: string): Promise<Card> => {
    const res = await call('galen-order-select', select(drug));
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: Card[] };
    expect(cards).toHaveLength(1);
    expectSpecCard(cards[0]!);
    return cards[0]!;
  };

  it('sulfonamides: a member by the short class list when the sources do not state the class', async () => {
    const card = await cardFor('Sulfamethoxazole 800 MG / Trimethoprim 160 MG Oral Tablet');
    expect(card.indicator).toBe('critical');
    expect(card.detail).toMatch(
      /recorded allergy to Sulfa drugs, and sulfamethoxazole is in that class \(sulfonamide antibiotics; Galen's short drug-class list, which is not exhaustive\)/,
    );
  });

  it('NSAIDs: a member by the class the source states (nonsteroidal anti-inflammatory drug)', async () => {
    const card = await cardFor('Ibuprofen 400 MG Oral Tablet');
    expect(card.indicator).toBe('critical');
    expect(card.detail).toMatch(
      /recorded allergy to NSAIDs, and ibuprofen is in that class \(nonsteroidal anti-inflammatory drug; Galen's sources: Ibuprofen is a nonsteroidal/,
    );
  });

  it("a class outside the short list, from MedlinePlus's 'is in a class of medications called'", async () => {
    const card = await cardFor('Atenolol 50 MG Oral Tablet');
    expect(card.indicator).toBe('critical');
    expect(card.detail).toMatch(
      /recorded allergy to Beta blockers, and atenolol is in that class \(beta blockers; Galen's sources: Atenolol is in a class of medications called beta blockers/,
    );
    expect(card.links?.map((l) => l.url)).toContain('https://example.org/drugs/atenolol');
  });

  it('no class conflict for a drug outside the recorded classes', async () => {
    const card = await cardFor('Amoxicillin 500 MG Oral Capsule');
    expect(card.indicator).not.toBe('critical');
    expect(card.detail).not.toMatch(/drug class/);
    expect(card.detail).toMatch(/not exhaustive/);
  });
});
