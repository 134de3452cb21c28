/**
 * CDS Hooks latency: a real server (`startServer`, in process, extractive, no Wikipedia) answering
 * `order-select` and `patient-view` calls whose record comes entirely from prefetch, one call at a
 * time as an EHR makes them, each with a freshly signed ES384 JWT verified against a JWKS file (so
 * JWT checks, the gate, retrieval and card building are all in the measured path). Target: p95
 * ≤ 300 ms (EHRs time out slow services).
 *
 * Overrides (`--set`): calls=<n per hook> (default 200; quick 40), corpus=seed|fixtures (default
 * seed: the bundled MedQuAD seed corpus plus the test drug fixtures; fixtures: the fixtures alone,
 * a smoke run whose figures are not representative).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ingest, KnowledgeStore, seedStore } from '../knowledge/index.js';
import { loadConfig } from '../server/config/index.js';
import { startServer } from '../server/http/start-server.js';
import { createLogger } from '../server/logging/logger.js';
import { type BenchModule, intOption, latencyStats, makeLogger, ROOT, tempDir } from './common.js';

const FIXTURES = join(ROOT, 'tests', 'server', 'fixtures');
const TARGET_P95_MS = 300;

export const cdsBench: BenchModule = {
  name: 'cds',
  description: 'CDS Hooks calls answered from prefetch (order-select, patient-view): latency p50/p95/p99 against the 300 ms p95 target',
  async run(options) {
    const log = makeLogger('cds');
    const calls = intOption(options.overrides.calls, options.quick ? 40 : 200);
    const corpus = options.overrides.corpus ?? 'seed';
    const tmp = tempDir('galen-cds-bench-');
    try {
      const dataDir = join(tmp.dir, 'data');
      const store = KnowledgeStore.open({ dataDir });
      try {
        if (corpus === 'seed') {
          log('ingesting the bundled seed corpus');
          await seedStore(store);
        }
        await ingest(store, {
          source: 'drugs',
          paths: [join(FIXTURES, 'drug-corpus.jsonl')],
          format: 'jsonl',
          license: 'CC BY 4.0',
          attribution: 'Galen test corpus',
        });
      } finally {
        store.close();
      }
      const { privateKey, publicKey } = await generateKeyPair('ES384');
      const jwksFile = join(tmp.dir, 'jwks.json');
      writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384' }] }));
      const issuersFile = join(tmp.dir, 'issuers.json');
      writeFileSync(issuersFile, JSON.stringify([{ iss: 'https://ehr.bench', jwksFile }]));
      const config = loadConfig({
        env: { GALEN_CDS_ISSUERS: issuersFile, GALEN_PUBLIC_URL: 'https://galen.bench' },
        overrides: {
          dataDir,
          server: { port: 0 },
          seed: { enabled: false },
          wikipedia: { enabled: false },
          security: { rateLimitPerMinute: 0 },
        },
      });
      log(`starting the server (corpus ${corpus})`);
      const server = await startServer(config, createLogger('warn'));
      await server.ready;
      await server.indexed;
      try {
        const bundle = JSON.parse(readFileSync(join(FIXTURES, 'fhir', 'synthetic-pregnant-patient.json'), 'utf8')) as {
          entry: Array<{ resource: { resourceType: string } }>;
        };
        const of = (type: string) => bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === type);
        const set = (type: string) => ({ resourceType: 'Bundle', type: 'searchset', entry: of(type).map((resource) => ({ resource })) });
        const prefetch = {
          patient: of('Patient')[0],
          conditions: set('Condition'),
          medications: set('MedicationRequest'),
          allergies: set('AllergyIntolerance'),
        };
        const drugs = [
          'Ibuprofen 400 MG Oral Tablet',
          'Amoxicillin 500 MG Oral Capsule',
          'Simvastatin 20 MG Oral Tablet',
          'Metformin 500 MG Oral Tablet',
        ];
        const bodies = {
          'galen-order-select': (i: number) => ({
            hook: 'order-select',
            hookInstance: `bench-${i}`,
            context: {
              userId: 'Practitioner/1',
              patientId: 'syn-1',
              selections: ['MedicationRequest/draft'],
              draftOrders: {
                resourceType: 'Bundle',
                entry: [
                  {
                    resource: {
                      resourceType: 'MedicationRequest',
                      id: 'draft',
                      status: 'draft',
                      intent: 'order',
                      subject: { reference: 'Patient/syn-1' },
                      medicationCodeableConcept: { text: drugs[i % drugs.length] },
                    },
                  },
                ],
              },
            },
            prefetch,
          }),
          'galen-patient-view': (i: number) => ({
            hook: 'patient-view',
            hookInstance: `bench-${i}`,
            context: { userId: 'Practitioner/1', patientId: 'syn-1' },
            prefetch,
          }),
        };
        const result: Record<string, unknown> = { calls, corpus, targetP95Ms: TARGET_P95_MS };
        for (const [service, body] of Object.entries(bodies)) {
          const samples: number[] = [];
          let cards = 0;
          for (let i = 0; i < calls + 5; i++) {
            const token = await new SignJWT({})
              .setProtectedHeader({ alg: 'ES384', kid: 'k1' })
              .setIssuer('https://ehr.bench')
              .setAudience(`https://galen.bench/cds-services/${service}`)
              .setIssuedAt()
              .setExpirationTime('5m')
              .setJti(`${service}-${i}`)
              .sign(privateKey);
            const started = performance.now();
            const res = await fetch(`${server.url}/cds-services/${service}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify(body(i)),
            });
            const json = (await res.json()) as { cards?: unknown[] };
            if (res.status !== 200) throw new Error(`${service} answered ${res.status}: ${JSON.stringify(json)}`);
            if (i >= 5) samples.push(performance.now() - started); // the first five warm up
            cards += json.cards?.length ?? 0;
          }
          const stats = latencyStats(samples);
          log(`${service}: p50 ${stats.p50Ms} ms, p95 ${stats.p95Ms} ms, p99 ${stats.p99Ms} ms`);
          result[service] = {
            ...stats,
            cardsPerCall: Math.round((cards / (calls + 5)) * 100) / 100,
            meetsTarget: stats.p95Ms <= TARGET_P95_MS,
          };
        }
        return result;
      } finally {
        await server.close();
      }
    } finally {
      tmp.cleanup();
    }
  },
};
