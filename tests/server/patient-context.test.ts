import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { loadConfig } from '../../server/config/index.js';
import { fetchPatientRecord, summarizePatient } from '../../server/fhir/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import { type TestFhirServer, startFhirServer } from '../helpers/fhir-server.js';
import { ROOT, tempDir } from '../helpers/paths.js';

const DRUG_CORPUS = join(ROOT, 'tests', 'server', 'fixtures', 'drug-corpus.jsonl');
const fixture = (name: string) => JSON.parse(readFileSync(join(ROOT, 'tests', 'fixtures', 'fhir', name), 'utf8')) as Bundle;
/** A Synthea-style transaction Bundle: a pregnant woman with asthma and hypertension, on warfarin and lisinopril. */
const BUNDLE = fixture('synthea-pregnant-patient.json');
const RESOURCES = (BUNDLE.entry ?? []).map((e) => e.resource!) as FhirResource[];
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
  RESOURCES[0]!.id!,
];
/** The clinical summary of the Bundle (and of the same record read from the FHIR server). */
const SUMMARY = {
  age: 30,
  sex: 'female',
  pregnant: true,
  conditions: ['Asthma', 'Essential hypertension'],
  medications: ['Warfarin Sodium 5 MG Oral Tablet', 'Lisinopril 10 MG Oral Tablet'],
  allergies: ['Penicillin', 'Peanut'],
  observations: ['eGFR 55 mL/min/1.73m2'],
};
const TOKEN = 'chat-fhir-token-a81c3d';

let server: RunningServer;
let fhir: TestFhirServer;
/** The patient's id on the FHIR server (the server assigns ids when it loads the Bundle). */
let patientId: string;
let tmp: ReturnType<typeof tempDir>;
let logs = '';

beforeAll(async () => {
  tmp = tempDir('galen-patient-');
  const dataDir = join(tmp.dir, 'data');
  const store = KnowledgeStore.open({ dataDir });
  try {
    await ingest(store, { source: 'drugs', paths: [DRUG_CORPUS], format: 'jsonl', license: 'CC BY 4.0', attribution: 'Galen test corpus' });
  } finally {
    store.close();
  }
  // A real FHIR R4 server, two search results a page, holding this patient and two others.
  fhir = await startFhirServer({ mode: 'ok', token: TOKEN, pageSize: 2 });
  const ids = await fhir.load(BUNDLE);
  await fhir.load(fixture('synthea-class-allergies-patient.json'));
  await fhir.load(fixture('synthea-ckd-gout-patient.json'));
  patientId = ids.get(BUNDLE.entry![0]!.fullUrl!)!.replace(/^Patient\//, '');
  IDENTIFIERS.push(patientId);
  const sink = new Writable({
    write(chunk, _e, done) {
      logs += chunk.toString();
      done();
    },
  });
  const config = loadConfig({
    env: { GALEN_FHIR_SERVERS: new URL(fhir.url).origin, GALEN_AUDIT_QUESTIONS: 'true' },
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
}, 120_000);

afterAll(async () => {
  await server?.close();
  await fhir?.close();
  tmp?.cleanup();
});

async function ask(
  patient?: unknown,
): Promise<{ status: number; body: { answer: string; citations: Array<{ externalId: string }>; error?: { code: string } } }> {
  const res = await fetch(`${server.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      messages: [{ role: 'user', content: 'Can I take ibuprofen for a headache?' }],
      options: patient ? { patient } : {},
    }),
  });
  return { status: res.status, body: (await res.json()) as never };
}

describe('FHIR patient context in chat', () => {
  it('reduces a Bundle to the clinical summary, without names, identifiers, addresses, telecoms or the birth date', () => {
    const summary = summarizePatient(RESOURCES, new Date('2026-12-02T00:00:00Z'));
    expect(summary).toEqual(SUMMARY);
    for (const id of IDENTIFIERS) expect(JSON.stringify(summary)).not.toContain(id);
  });

  it("reads the same record from the FHIR server: the record's searches, only this patient's resources, every page followed", async () => {
    const before = fhir.requests.length;
    const resources = await fetchPatientRecord({ baseUrl: fhir.url, accessToken: TOKEN, timeoutMs: 5000, maxPages: 10 }, patientId);
    expect(summarizePatient(resources as FhirResource[], new Date('2026-12-02T00:00:00Z'))).toEqual(SUMMARY);
    const made = fhir.requests.slice(before).map((r) => decodeURIComponent(r.path));
    // Three active conditions at two a page: the second page came from the Bundle's next link.
    expect(made.filter((p) => p.startsWith('/fhir/Condition?'))).toEqual([
      `/fhir/Condition?patient=${patientId}&clinical-status=active`,
      `/fhir/Condition?_count=2&_offset=2&clinical-status=active&patient=Patient/${patientId}`,
    ]);
    expect(made.filter((p) => p.startsWith('/fhir/Observation?')).length).toBe(3);
    expect(resources.filter((r) => r.resourceType === 'Observation').map((r) => r.id)).toHaveLength(6);
  });

  it('a patient Bundle changes retrieval and raises the interaction and pregnancy first', async () => {
    const plain = await ask();
    expect(plain.status).toBe(200);
    expect(plain.body.answer).not.toMatch(/For this patient/);
    const withPatient = await ask(BUNDLE);
    expect(withPatient.status).toBe(200);
    expect(withPatient.body.answer).toMatch(
      /^\*\*For this patient:\*\* .*warfarin, which the patient takes \[\d\].*pregnancy, and the patient is pregnant/,
    );
    expect(withPatient.body.citations.map((c) => c.externalId)).toContain('IBU_1_Sec3');
    expect(withPatient.body.citations.map((c) => c.externalId)).not.toEqual(plain.body.citations.map((c) => c.externalId));
  });

  it('reads {fhirServer, patientId, accessToken} from an allowed server, and refuses others', async () => {
    const before = fhir.requests.length;
    const read = await ask({ fhirServer: fhir.url, patientId, accessToken: TOKEN });
    expect(read.status).toBe(200);
    expect(read.body.answer).toMatch(/warfarin, which the patient takes/);
    expect(fhir.requests.slice(before).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const refused = await ask({ fhirServer: 'http://127.0.0.2:1/fhir', patientId });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('FHIR_SERVER_NOT_ALLOWED');
    const badToken = await ask({ fhirServer: fhir.url, patientId, accessToken: 'wrong' });
    expect(badToken.status).toBe(502);
    expect(badToken.body.error?.code).toBe('FHIR_UNAVAILABLE');
  });

  it('keeps identifiers and the token out of logs, audit and metrics', async () => {
    await ask(BUNDLE);
    const audit = readFileSync(join(tmp.dir, 'data', 'audit.log'), 'utf8');
    expect(audit).toMatch(/pregnant/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const text of [logs, audit, metrics]) {
      expect(text).not.toContain(TOKEN);
      for (const id of IDENTIFIERS) expect(text).not.toContain(id);
    }
  });
});
