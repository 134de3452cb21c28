import express from 'express';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import { AuditLog, type AuditRecord } from '../../server/logging/audit-log.js';
import { createLogger } from '../../server/logging/logger.js';
import { ApiKeyStore } from '../../server/security/index.js';
import { tempDir } from '../helpers/paths.js';

const tmp = tempDir();
const running: RunningServer[] = [];
afterAll(async () => {
  for (const s of running) await s.close();
  tmp.cleanup();
});

const QUESTION = 'My name is John Smith, DOB 04/07/1961, MRN 00123456; call 555-010-7788. Is my chest pain serious?';

/** The audit file's records once it holds at least `count` (lines are written as responses close). */
async function records(file: string, count: number): Promise<AuditRecord[]> {
  for (let i = 0; i < 200; i++) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length >= count) return lines.map((l) => JSON.parse(l) as AuditRecord);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${file} never held ${count} audit lines`);
}

describe('the audit log of a running server', () => {
  it('records who, route, status and latency of /v1 requests, never the question text', async () => {
    const dataDir = join(tmp.dir, randomUUID());
    const keys = ApiKeyStore.open({ dataDir });
    const admin = keys.create({ role: 'admin' });
    keys.close();
    const config = loadConfig({
      env: {},
      overrides: { dataDir, server: { port: 0 }, seed: { enabled: false }, wikipedia: { enabled: false } },
    });
    const server = await startServer(config, createLogger('silent'));
    running.push(server);
    await server.ready;

    const asked = await fetch(`${server.url}/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUESTION }),
    });
    expect(asked.status).toBe(200);
    const requestId = asked.headers.get('x-request-id');
    await fetch(`${server.url}/v1/knowledge/sources`, { headers: { authorization: `Bearer ${admin.key}` } });
    await fetch(`${server.url}/v1/knowledge/sources`, { headers: { authorization: 'Bearer galen_nope' } });
    await fetch(`${server.url}/healthz`);

    const file = join(dataDir, 'audit.log');
    const [search, sources, refused] = await records(file, 3);
    expect(search).toMatchObject({
      requestId,
      who: 'anonymous',
      role: 'clinician',
      method: 'POST',
      route: '/v1/search',
      path: '/v1/search',
      status: 200,
    });
    expect(search!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(search!.time)).not.toBeNaN();
    expect(search!.ip).toMatch(/127\.0\.0\.1/);
    expect(sources).toMatchObject({ who: `key:${admin.id}`, role: 'admin', route: '/v1/knowledge/sources', status: 200 });
    expect(refused).toMatchObject({ who: 'unauthenticated', role: null, status: 401 });

    const text = readFileSync(file, 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(3);
    for (const secret of ['John', 'Smith', '1961', '00123456', '7788', 'chest pain', admin.key]) expect(text).not.toContain(secret);
  });
});

describe('AuditLog', () => {
  async function serve(audit: AuditLog): Promise<{ url: string; close: () => Promise<void> }> {
    const app = express();
    app.use(audit.middleware);
    app.post('/v1/chat', (_req, res) => {
      res.locals.audit = {
        triageLevel: 'urgent',
        sources: ['medquad', 'wikipedia'],
        question: QUESTION,
        patient: 'Patient Jane Doe, born 12 May 1950, jane@example.org',
      };
      res.json({ answer: 'See a doctor today.' });
    });
    app.get('/elsewhere', (_req, res) => {
      res.json({});
    });
    const http = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    return {
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => http.close(() => resolve())),
    };
  }

  it('writes triage level and sources, and leaves questions out by default', async () => {
    const file = join(tmp.dir, 'quiet', 'audit.log');
    const audit = AuditLog.open({ file });
    const { url, close } = await serve(audit);
    await fetch(`${url}/v1/chat`, { method: 'POST' });
    await fetch(`${url}/elsewhere`);
    const [line] = await records(file, 1);
    await close();
    audit.close();
    expect(line).toMatchObject({ route: '/v1/chat', status: 200, triageLevel: 'urgent', sources: ['medquad', 'wikipedia'] });
    expect(line).not.toHaveProperty('question');
    expect(line).not.toHaveProperty('patient');
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('writes questions and patient details redacted when configured', async () => {
    const file = join(tmp.dir, 'verbose', 'audit.log');
    const audit = AuditLog.open({ file, includeQuestions: true });
    const { url, close } = await serve(audit);
    await fetch(`${url}/v1/chat`, { method: 'POST' });
    const [line] = await records(file, 1);
    await close();
    audit.close();
    expect(line!.question).toBe('My name is [name], DOB [date of birth], MRN [record number]; call [phone]. Is my chest pain serious?');
    expect(line!.patient).toBe('Patient [name], born [date of birth], [email]');
  });

  it('writes nothing when turned off', async () => {
    const audit = AuditLog.open({ file: null });
    const { url, close } = await serve(audit);
    const res = await fetch(`${url}/v1/chat`, { method: 'POST' });
    await close();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeNull();
  });
});
