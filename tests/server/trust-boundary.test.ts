import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import { createLogger } from '../../server/logging/logger.js';
import { ApiKeyStore } from '../../server/security/index.js';
import { tempDir } from '../helpers/paths.js';

// Real loopback servers over empty stores; requests with node:http, which (unlike fetch) lets a
// test set Host and proxy headers as a rebinding page or a same-host proxy would send them.
const tmp = tempDir();
const running: RunningServer[] = [];
let n = 0;

async function start(security: Record<string, unknown> = {}): Promise<{ server: RunningServer; dataDir: string }> {
  const dataDir = join(tmp.dir, `d${n++}`);
  const server = await startServer(
    loadConfig({
      env: {},
      overrides: { dataDir, server: { port: 0 }, seed: { enabled: false }, wikipedia: { enabled: false }, security },
    }),
    createLogger('silent'),
  );
  running.push(server);
  await server.ready;
  return { server, dataDir };
}

afterAll(async () => {
  for (const s of running) await s.close();
  tmp.cleanup();
});

function search(
  server: RunningServer,
  headers: Record<string, string> = {},
): Promise<{ status: number; code?: string; retryAfter?: string }> {
  const url = new URL(server.url);
  const body = JSON.stringify({ query: 'gout', k: 1 });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/v1/search',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          const code = /"code":"([A-Z_]+)"/.exec(text)?.[1];
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, ...(code ? { code } : {}), ...(retryAfter ? { retryAfter } : {}) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('Host names (DNS rebinding)', () => {
  it('refuses a Host it was not configured for with 421 and answers loopback names and allowed ones', async () => {
    const { server } = await start({ allowedHosts: ['galen.ward4.example.org'] });
    const port = new URL(server.url).port;
    expect(await search(server, { host: `attacker.example.com:${port}` })).toMatchObject({ status: 421, code: 'MISDIRECTED_REQUEST' });
    expect((await search(server, { host: `localhost:${port}` })).status).toBe(200);
    expect((await search(server, { host: `127.0.0.1:${port}` })).status).toBe(200);
    expect((await search(server, { host: `[::1]:${port}` })).status).toBe(200);
    expect((await search(server, { host: 'galen.ward4.example.org' })).status).toBe(200);
    expect((await search(server, { host: 'GALEN.ward4.example.org:443' })).status).toBe(200);
  });
});

describe('proxy headers', () => {
  it('makes a proxied anonymous request role-less (401) unless trustProxy is set', async () => {
    const { server } = await start();
    expect((await search(server)).status).toBe(200);
    expect(await search(server, { 'x-forwarded-for': '203.0.113.9' })).toMatchObject({ status: 401, code: 'API_KEY_REQUIRED' });
    expect(await search(server, { forwarded: 'for=203.0.113.9' })).toMatchObject({ status: 401, code: 'API_KEY_REQUIRED' });
    const trusted = await start({ trustProxy: true });
    expect((await search(trusted.server, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(200);
  });

  it('lets a proxied request with a valid key through', async () => {
    const { server, dataDir } = await start();
    const keys = ApiKeyStore.open({ dataDir });
    const key = keys.create({ role: 'clinician' }).key;
    keys.close();
    expect((await search(server, { 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${key}` })).status).toBe(200);
  });
});

describe('failed authentication', () => {
  it('throttles bad keys per client address with 429, apart from the per-key budget', async () => {
    const { server, dataDir } = await start({ authFailuresPerMinute: 5, rateLimitPerMinute: 1000 });
    const keys = ApiKeyStore.open({ dataDir });
    const good = keys.create({ role: 'clinician' }).key;
    keys.close();
    const bad = { authorization: `Bearer ${good.slice(0, -4)}abcd` };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await search(server, bad)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const limited = await search(server, bad);
    expect(limited).toMatchObject({ status: 429, code: 'TOO_MANY_AUTH_FAILURES' });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    // The address is throttled for key guessing only while over the limit: the count is of failures.
    const other = await start({ authFailuresPerMinute: 5 });
    expect((await search(other.server)).status).toBe(200);
  });
});
