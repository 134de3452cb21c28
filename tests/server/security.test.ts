import express from 'express';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import { createLogger } from '../../server/logging/logger.js';
import { ApiKeyStore, liftTimeLimit, limitRequestTime, SecurityError } from '../../server/security/index.js';
import { galen, galenAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

// Real servers on free ports over empty stores (no seed, no Wikipedia), keys made in their access.sqlite.
const tmp = tempDir();
const running: RunningServer[] = [];

async function start(overrides: Record<string, unknown> = {}, dataDir = join(tmp.dir, randomUUID())): Promise<RunningServer> {
  const config = loadConfig({
    env: {},
    overrides: { dataDir, server: { port: 0 }, seed: { enabled: false }, wikipedia: { enabled: false }, ...overrides },
  });
  const server = await startServer(config, createLogger('silent'));
  running.push(server);
  await server.ready;
  return server;
}

function makeKeys(dataDir: string) {
  const store = ApiKeyStore.open({ dataDir });
  const admin = store.create({ role: 'admin', label: 'ops' });
  const clinician = store.create({ role: 'clinician', label: 'ward 3' });
  const revoked = store.create({ role: 'admin', label: 'leaked' });
  store.revoke(revoked.id);
  store.close();
  return { admin: admin.key, clinician: clinician.key, revoked: revoked.key, clinicianId: clinician.id };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const search = (url: string, headers: Record<string, string> = {}, body = JSON.stringify({ query: 'gout', k: 1 })) =>
  fetch(`${url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error.code, message: body.error.message };
}

afterAll(async () => {
  for (const s of running) await s.close();
  tmp.cleanup();
});

describe('authentication and roles on loopback', () => {
  const dataDir = join(tmp.dir, 'roles');
  let server: RunningServer;
  let keys: ReturnType<typeof makeKeys>;
  beforeAll(async () => {
    keys = makeKeys(dataDir);
    server = await start({}, dataDir);
  });
  const sources = (headers: Record<string, string> = {}) => fetch(`${server.url}/v1/knowledge/sources`, { headers });

  it('lets anonymous loopback callers ask but not administer', async () => {
    expect((await search(server.url)).status).toBe(200);
    const refused = await errorOf(await sources());
    expect(refused).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(refused.message).toMatch(/admin role/);
  });

  it('refuses bad, malformed and revoked keys with 401, even where anonymity would do', async () => {
    const bad = await sources(bearer(`galen_000000000000_${'A'.repeat(43)}`));
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await errorOf(bad)).toMatchObject({ status: 401, code: 'INVALID_API_KEY' });
    expect(await errorOf(await sources({ authorization: 'Basic YWRtaW46YWRtaW4=' }))).toMatchObject({
      status: 401,
      code: 'INVALID_API_KEY',
    });
    expect(await errorOf(await sources(bearer(keys.revoked)))).toMatchObject({ status: 401, code: 'REVOKED_API_KEY' });
    // A tampered secret of a real key id is no better than no key.
    const tampered = keys.admin.slice(0, -4) + (keys.admin.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await errorOf(await sources(bearer(tampered)))).toMatchObject({ status: 401, code: 'INVALID_API_KEY' });
  });

  it('treats a bearer token that is not a Galen key (an OpenAI client’s dummy) as anonymous on loopback', async () => {
    expect((await search(server.url, bearer('sk-no-key-required'))).status).toBe(200);
    expect((await search(server.url, { 'x-api-key': 'not-a-key' })).status).toBe(200);
    // Only as far as the anonymous role goes: it is no admin.
    expect(await errorOf(await sources(bearer('sk-no-key-required')))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    // A galen_… key is always checked.
    expect(await errorOf(await search(server.url, bearer(`galen_000000000000_${'A'.repeat(43)}`)))).toMatchObject({
      status: 401,
      code: 'INVALID_API_KEY',
    });
  });

  it('gives clinicians the answer routes and admins everything', async () => {
    expect((await search(server.url, bearer(keys.clinician))).status).toBe(200);
    expect(await errorOf(await sources(bearer(keys.clinician)))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect((await sources(bearer(keys.admin))).status).toBe(200);
    expect((await sources({ 'x-api-key': keys.admin })).status).toBe(200);
    expect((await search(server.url, bearer(keys.admin))).status).toBe(200);
  });

  it('refuses a key from the request after `galen keys revoke`', async () => {
    expect((await search(server.url, bearer(keys.clinician))).status).toBe(200);
    const r = await galenAsync(['keys', 'revoke', keys.clinicianId, '--data', dataDir, '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: keys.clinicianId, role: 'clinician' });
    expect(await errorOf(await search(server.url, bearer(keys.clinician)))).toMatchObject({ status: 401, code: 'REVOKED_API_KEY' });
  });

  it('requires a key everywhere under /v1 when anonymous callers get no role, but keeps probes open', async () => {
    const strict = await start({ security: { anonymousRole: 'none' } });
    const res = await search(strict.url);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await errorOf(res)).toMatchObject({ status: 401, code: 'API_KEY_REQUIRED' });
    expect(await errorOf(await search(strict.url, bearer('sk-no-key-required')))).toMatchObject({ status: 401, code: 'INVALID_API_KEY' });
    expect((await fetch(`${strict.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${strict.url}/readyz`)).status).toBe(200);
  });
});

describe('listening beyond loopback', () => {
  it('refuses to start without API keys, saying what to do', async () => {
    const dataDir = join(tmp.dir, 'exposed-no-keys');
    const attempt = start({ server: { host: '0.0.0.0', port: 0 } }, dataDir);
    await expect(attempt).rejects.toBeInstanceOf(SecurityError);
    await expect(attempt).rejects.toMatchObject({ code: 'KEYS_REQUIRED', message: expect.stringMatching(/galen keys create --role/) });

    const cli = galen(['serve', '--host', '0.0.0.0', '--port', '0', '--data', dataDir], { GALEN_SEED: 'false', GALEN_WIKIPEDIA: 'false' });
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toMatch(/beyond loopback, without API keys/);
  });

  it('requires a key on every /v1 request once keys exist', async () => {
    const dataDir = join(tmp.dir, 'exposed');
    const keys = makeKeys(dataDir);
    const server = await start({ server: { host: '0.0.0.0', port: 0 } }, dataDir);
    const url = server.url.replace('0.0.0.0', '127.0.0.1');
    expect(await errorOf(await search(url))).toMatchObject({ status: 401, code: 'API_KEY_REQUIRED' });
    expect(await errorOf(await search(url, bearer('sk-no-key-required')))).toMatchObject({ status: 401, code: 'INVALID_API_KEY' });
    expect((await search(url, bearer(keys.clinician))).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe('limits', () => {
  it('limits requests per key and per anonymous client, answering 429 with Retry-After', async () => {
    const dataDir = join(tmp.dir, 'rate');
    const keys = makeKeys(dataDir);
    const server = await start({ security: { rateLimitPerMinute: 3 } }, dataDir);
    for (let i = 0; i < 3; i++) expect((await search(server.url, bearer(keys.clinician))).status).toBe(200);
    const limited = await search(server.url, bearer(keys.clinician));
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit')).toMatch(/limit=3/);
    expect(await errorOf(limited)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // Another key has its own allowance; anonymous callers are counted by address.
    expect((await search(server.url, bearer(keys.admin))).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await search(server.url)).status).toBe(200);
    expect((await search(server.url)).status).toBe(429);
    // Probes are not rate limited.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('refuses bodies over the configured size with 413', async () => {
    const server = await start({ security: { maxBodyKb: 1 } });
    expect((await search(server.url, {}, JSON.stringify({ query: 'x'.repeat(900) }))).status).toBe(200);
    expect(await errorOf(await search(server.url, {}, JSON.stringify({ query: 'x'.repeat(2000) })))).toMatchObject({
      status: 413,
      code: 'BODY_TOO_LARGE',
    });
  });

  it('stops requests that run out of time with 503 and aborts their work', async () => {
    let sawAbort = false;
    const app = express();
    app.use(limitRequestTime({ ms: 200 }));
    app.get('/slow', (_req, res) => {
      const signal = res.locals.abortSignal!;
      const done = setTimeout(() => res.json({ late: true }), 5000);
      signal.addEventListener('abort', () => {
        sawAbort = true;
        clearTimeout(done);
      });
    });
    app.get('/fast', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/upload', (_req, res) => {
      liftTimeLimit(res);
      setTimeout(() => res.json({ lifted: true }), 400);
    });
    const http = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const slow = await fetch(`${base}/slow`);
      expect(await errorOf(slow)).toMatchObject({ status: 503, code: 'REQUEST_TIMEOUT' });
      expect(sawAbort).toBe(true);
      expect(await (await fetch(`${base}/fast`)).json()).toEqual({ ok: true });
      expect(await (await fetch(`${base}/upload`)).json()).toEqual({ lifted: true });
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

describe('headers', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  it('sends helmet security headers', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('keeps CORS off unless origins are configured', async () => {
    const origin = 'https://ehr.example.org';
    const preflight = (url: string, from: string) =>
      fetch(`${url}/v1/search`, {
        method: 'OPTIONS',
        headers: { origin: from, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    expect((await preflight(server.url, origin)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await search(server.url, { origin })).headers.get('access-control-allow-origin')).toBeNull();

    const open = await start({ security: { corsOrigins: [origin] } });
    const allowed = await preflight(open.url, origin);
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect((await search(open.url, { origin })).headers.get('access-control-allow-origin')).toBe(origin);
    expect((await preflight(open.url, 'https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
