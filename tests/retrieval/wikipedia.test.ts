// Integration tests of the Wikipedia retriever against a real MediaWiki (Debian's package, SQLite,
// the shared Wikipedia articles imported by scripts/mediawiki/setup.sh) and against real broken
// servers: a closed port, a server that resets, one that never answers, ones that answer garbage.
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WikipediaRetriever, type WikipediaStatus } from '../../retrieval/wikipedia/index.js';
import { tempDir } from '../helpers/paths.js';

/** The wiki under test (GALEN_TEST_MEDIAWIKI_URL, set by tests/global-setup.ts). */
let apiUrl = '';
const closers: (() => Promise<void>)[] = [];
const scratch = tempDir('galen-wikipedia-');

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}?action=query&meta=siteinfo&format=json`, { signal: AbortSignal.timeout(3000) });
    return response.ok && 'query' in ((await response.json()) as object);
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `server` on a free loopback port; it is closed (connections included) after the file. */
async function listen(server: http.Server | net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  };
  closers.push(close);
  (server as { closeNow?: () => Promise<void> }).closeNow = close;
  return (server.address() as net.AddressInfo).port;
}

/** A forwarding proxy in front of the wiki that counts requests, and can be shut. */
async function countingProxy(target: string): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const upstream = new URL(target);
  const server = http.createServer(async (req, res) => {
    requests++;
    try {
      const response = await fetch(new URL(req.url ?? '/', upstream.origin));
      res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch {
      res.writeHead(502).end();
    }
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    requests: () => requests,
    close: (server as unknown as { closeNow: () => Promise<void> }).closeNow,
  };
}

function retriever(options: ConstructorParameters<typeof WikipediaRetriever>[0] = {}): WikipediaRetriever {
  const r = new WikipediaRetriever({ apiUrl, ...options });
  closers.push(async () => r.close());
  return r;
}

beforeAll(async () => {
  // tests/global-setup.ts provides the wiki for the whole run.
  apiUrl = process.env['GALEN_TEST_MEDIAWIKI_URL'] ?? '';
  if (!(await answers(apiUrl))) throw new Error(`No MediaWiki answers at GALEN_TEST_MEDIAWIKI_URL=${JSON.stringify(apiUrl)}`);
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  scratch.cleanup();
});

describe('Wikipedia retriever on a real MediaWiki', () => {
  it('finds the Monkeypox article, its sections and their URLs for a symptoms question', async () => {
    const outcomes: [WikipediaStatus, number][] = [];
    const r = retriever({ onOutcome: (status, tookMs) => outcomes.push([status, tookMs]) });
    const result = await r.retrieve('What are the symptoms of monkeypox?', { k: 8 });
    expect(result.status).toBe('ok');
    expect(outcomes).toEqual([['ok', result.tookMs]]);
    const [first] = result.passages;
    expect(first).toMatchObject({
      title: 'Monkeypox',
      section: '',
      rank: 1,
      license: 'CC BY-SA 4.0',
      attribution: 'Wikipedia contributors',
    });
    expect(first!.text).toMatch(/^Monkeypox is an infectious disease/);
    const base = apiUrl.replace(/\/api\.php$/, '');
    expect(first!.url).toBe(`${base}/wiki/Monkeypox`);
    const symptoms = result.passages.find((p) => p.title === 'Monkeypox' && p.section === 'Signs and symptoms');
    expect(symptoms?.url).toBe(`${base}/wiki/Monkeypox#Signs_and_symptoms`);
    // The symptoms section comes right after the lead: its heading names a keyword.
    expect(result.passages[1]).toBe(symptoms);
    for (const p of result.passages) {
      expect(p.text.length).toBeGreaterThan(0);
      expect(p.text.length).toBeLessThanOrEqual(1500);
      expect(p.section).not.toMatch(/^(References|External links)$/);
      // The import escaped wiki syntax as entities; the retriever must read them as text.
      expect(p.text).not.toMatch(/&#\d+;|&amp;/);
    }
    // The URL is real: the wiki serves the article there.
    const page = await fetch(first!.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Monkeypox');
  });

  it('answers other medical questions with the article they name first', async () => {
    const r = retriever();
    const diabetes = await r.retrieve('How is type 2 diabetes treated?', { k: 5 });
    expect(diabetes.status).toBe('ok');
    expect(diabetes.passages[0]?.title).toBe('Type 2 diabetes');
    const gout = await r.retrieve('What causes gout?', { k: 3 });
    expect(gout.passages[0]?.title).toBe('Gout');
    expect(new Set(gout.passages.map((p) => p.rank)).size).toBeGreaterThan(1);
  });

  it('reads wikitext when asked to (wikis without TextExtracts)', async () => {
    const r = retriever({ content: 'revisions' });
    const result = await r.retrieve('What are the symptoms of monkeypox?', { k: 3 });
    expect(result.status).toBe('ok');
    expect(result.passages[0]).toMatchObject({ title: 'Monkeypox', section: '' });
    expect(result.passages[0]!.text).toMatch(/^Monkeypox is an infectious disease caused by the monkeypox virus\./);
    expect(result.passages.map((p) => p.section)).toContain('Signs and symptoms');
  });

  it('serves a repeated question from its SQLite cache without calling the wiki, even when the wiki is gone', async () => {
    const proxy = await countingProxy(apiUrl);
    const cachePath = join(scratch.dir, 'cache', 'wikipedia-cache.sqlite');
    const r = retriever({ apiUrl: proxy.url, cachePath });
    const first = await r.retrieve('What are the symptoms of monkeypox?', { k: 4 });
    expect(first.status).toBe('ok');
    const calls = proxy.requests();
    expect(calls).toBeGreaterThan(0);

    // Same search words, different phrasing and k: the same cache entry.
    const again = await r.retrieve('  symptoms of MONKEYPOX ', { k: 4 });
    expect(again.status).toBe('cached');
    expect(again.passages).toEqual(first.passages);
    expect(proxy.requests()).toBe(calls);

    await proxy.close();
    const whileDown = await r.retrieve('What are the symptoms of monkeypox?', { k: 2 });
    expect(whileDown).toMatchObject({ status: 'cached', passages: first.passages.slice(0, 2) });
    expect((await r.retrieve('What causes gout?')).status).toBe('error');

    // The cache is a file: a new retriever (a restarted server) still has it.
    const restarted = retriever({ apiUrl: proxy.url, cachePath });
    expect((await restarted.retrieve('What are the symptoms of monkeypox?')).status).toBe('cached');
    expect(existsSync(`${cachePath}-wal`) || existsSync(cachePath)).toBe(true);
  });

  it('lets cached answers expire after their TTL', async () => {
    const r = retriever({ cachePath: join(scratch.dir, 'ttl.sqlite'), cacheTtlMs: 100 });
    expect((await r.retrieve('monkeypox')).status).toBe('ok');
    expect((await r.retrieve('monkeypox')).status).toBe('cached');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await r.retrieve('monkeypox')).status).toBe('ok');
  });

  it('never throws on hostile questions', async () => {
    const r = retriever();
    const questions = [
      '',
      '   ',
      'x'.repeat(10_000),
      'fever '.repeat(2_000),
      '"unbalanced quote',
      `'; DROP TABLE page; --`,
      '😷🤒💊',
      '[[File:x]]',
      '{{template}}',
      '[[File:Rash.jpg|thumb|[[nested]] link]] {{cite web|url=http://x}} <ref>y</ref>',
      '-monkeypox +gout* intitle:asthma insource:/x/ prefix:Gout',
      'symptoms|of|monkeypox',
      'monkeypox\u0000\u202e\ud800',
      '関節炎の症状は何ですか',
      'What is %s %n %x?',
    ];
    for (const question of questions) {
      const result = await r.retrieve(question, { k: 3 });
      expect(['ok', 'cached'], `status of ${JSON.stringify(question.slice(0, 40))}`).toContain(result.status);
      expect(result.passages.length).toBeLessThanOrEqual(3);
    }
    // Not even a non-string from an untyped caller.
    expect((await r.retrieve(undefined as unknown as string)).status).toBe('ok');
  });
});

describe('Wikipedia retriever when the wiki is in trouble', () => {
  it('returns error quickly for a dead wiki (closed port)', async () => {
    const port = await freePort();
    const r = retriever({ apiUrl: `http://127.0.0.1:${port}/api.php` });
    const result = await r.retrieve('What are the symptoms of monkeypox?');
    expect(result).toMatchObject({ status: 'error', passages: [] });
  });

  it('opens the circuit after N failures, then answers open-circuit without a connection, and probes after the cool-down', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    const port = await listen(server);
    const warnings: string[] = [];
    const r = retriever({
      apiUrl: `http://127.0.0.1:${port}/api.php`,
      failureThreshold: 3,
      cooldownMs: 300,
      logger: { debug() {}, info() {}, warn: (_obj, msg) => warnings.push(msg ?? '') },
    });
    for (let i = 0; i < 3; i++) expect((await r.retrieve(`monkeypox ${i}`)).status).toBe('error');
    expect(r.circuitState).toBe('open');
    expect(warnings).toContain('wikipedia circuit opened');
    const seen = connections;
    expect(seen).toBeGreaterThan(0);
    const refused = await r.retrieve('What are the symptoms of monkeypox?');
    expect(refused).toMatchObject({ status: 'open-circuit', passages: [] });
    // Answered without a connection.
    expect(connections).toBe(seen);

    // After the cool-down one probe goes through; it fails, so the circuit opens again.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(r.circuitState).toBe('half-open');
    expect((await r.retrieve('gout')).status).toBe('error');
    expect(connections).toBeGreaterThan(seen);
    expect(r.circuitState).toBe('open');
    expect((await r.retrieve('asthma')).status).toBe('open-circuit');
  });

  it('closes the circuit again when the probe succeeds', async () => {
    const proxy = await countingProxy(apiUrl);
    let healthy = false;
    // The same port answers 503 while "down" and forwards to the wiki once healthy.
    const server = http.createServer(async (req, res) => {
      if (!healthy) return res.writeHead(503).end('down');
      const response = await fetch(new URL(req.url ?? '/', new URL(proxy.url).origin));
      res.writeHead(response.status, { 'content-type': 'application/json' }).end(Buffer.from(await response.arrayBuffer()));
    });
    const port = await listen(server);
    const r = retriever({ apiUrl: `http://127.0.0.1:${port}/api.php`, failureThreshold: 2, cooldownMs: 200 });
    expect((await r.retrieve('monkeypox')).status).toBe('error');
    expect((await r.retrieve('monkeypox')).status).toBe('error');
    expect((await r.retrieve('monkeypox')).status).toBe('open-circuit');
    healthy = true;
    await new Promise((resolve) => setTimeout(resolve, 250));
    const probe = await r.retrieve('What are the symptoms of monkeypox?');
    expect(probe.status).toBe('ok');
    expect(probe.passages[0]?.title).toBe('Monkeypox');
    expect(r.circuitState).toBe('closed');
  });

  it('costs at most the budget when the wiki accepts connections and never answers', async () => {
    const server = net.createServer(() => {
      // Accept, read, never answer.
    });
    const port = await listen(server);
    const r = retriever({ apiUrl: `http://127.0.0.1:${port}/api.php`, failureThreshold: 2 });
    const started = performance.now();
    const result = await r.retrieve('What are the symptoms of monkeypox?');
    const elapsed = performance.now() - started;
    // A wiki that never answers would hang the test without the budget; ending before it would be a
    // failure reported as a timeout. (How close to the budget it ends is the bench's business.)
    expect(result).toMatchObject({ status: 'timeout', passages: [] });
    expect(elapsed).toBeGreaterThanOrEqual(1500 - 5);

    // A shorter budget is honoured the same way, and timeouts count towards the breaker.
    const quick = retriever({ apiUrl: `http://127.0.0.1:${port}/api.php`, budgetMs: 200, failureThreshold: 2 });
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      expect((await quick.retrieve(`gout ${i}`)).status).toBe('timeout');
      // Ended by its own budget, not the default one.
      expect(performance.now() - t0).toBeLessThan(1500);
    }
    expect((await quick.retrieve('gout')).status).toBe('open-circuit');
  });

  it('ends at once, as timeout, when the caller aborts', async () => {
    const server = net.createServer(() => {});
    const port = await listen(server);
    const r = retriever({ apiUrl: `http://127.0.0.1:${port}/api.php`, failureThreshold: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await r.retrieve('monkeypox', { signal: controller.signal });
    expect(result.status).toBe('timeout');
    // Ended by the abort, not by the 1.5 s budget.
    expect(result.tookMs).toBeLessThan(1500);
    // The caller giving up says nothing about the wiki: the breaker stays closed.
    expect(r.circuitState).toBe('closed');
    expect((await r.retrieve('gout', { signal: AbortSignal.abort() })).status).toBe('timeout');
  });

  it.each([
    ['an HTML page', 200, 'text/html', '<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>'],
    ['invalid JSON', 200, 'application/json', '{"query": {"search": [ {"title": '],
    ['JSON of another shape', 200, 'application/json', '{"batchcomplete": "", "query": {"pages": []}}'],
    ['a JSON string', 200, 'application/json', '"hello"'],
    ['an API error', 200, 'application/json', '{"error": {"code": "internal_api_error", "info": "Database is locked"}}'],
    ['HTTP 500', 500, 'text/plain', 'Internal Server Error'],
    ['an empty body', 200, 'application/json', ''],
  ])('returns error when the wiki answers %s', async (_name, status, type, body) => {
    const server = http.createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
    const port = await listen(server);
    const r = retriever({ apiUrl: `http://127.0.0.1:${port}/api.php` });
    const result = await r.retrieve('What are the symptoms of monkeypox?');
    expect(result).toMatchObject({ status: 'error', passages: [] });
  });

  it('returns error when search works but every article request fails', async () => {
    const server = http.createServer((req, res) => {
      const json = req.url?.includes('list=search')
        ? { query: { search: [{ ns: 0, title: 'Monkeypox', pageid: 7 }] } }
        : req.url?.includes('prop=pageprops')
          ? { query: {} }
          : { query: { pages: { '7': { pageid: 7, title: 'Monkeypox', extract: 42 } } } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
    const port = await listen(server);
    const r = retriever({ apiUrl: `http://127.0.0.1:${port}/api.php` });
    expect(await r.retrieve('monkeypox')).toMatchObject({ status: 'error', passages: [] });
  });
});

describe('Wikipedia retriever with the real wiki stopped', () => {
  // The wiki may be shared (GALEN_TEST_MEDIAWIKI_URL), so it is "stopped" behind a forwarding
  // server of this test's own: closing it refuses connections exactly as a stopped wiki does.
  it('answers cached questions and errors on new ones while the wiki is down, and recovers when it is back', async () => {
    const upstream = new URL(apiUrl);
    const sockets = new Set<net.Socket>();
    const front = http.createServer(async (req, res) => {
      try {
        const response = await fetch(new URL(req.url ?? '/', upstream.origin));
        res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await response.arrayBuffer()));
      } catch {
        res.writeHead(502).end();
      }
    });
    front.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const start = (port: number) => new Promise<void>((resolve) => front.listen(port, '127.0.0.1', resolve));
    const stop = async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => front.close(resolve));
    };
    await start(0);
    const port = (front.address() as net.AddressInfo).port;
    const url = `http://127.0.0.1:${port}${upstream.pathname}`;
    const r = retriever({ apiUrl: url, cachePath: join(scratch.dir, 'stopped.sqlite'), failureThreshold: 100 });
    try {
      expect((await r.retrieve('What are the symptoms of monkeypox?')).status).toBe('ok');
      await stop();
      expect(await answers(url)).toBe(false);
      const cached = await r.retrieve('What are the symptoms of monkeypox?');
      expect(cached.status).toBe('cached');
      expect(cached.passages[0]?.title).toBe('Monkeypox');
      const down = await r.retrieve('What causes gout?');
      expect(down.status).toBe('error');
      await start(port);
      expect((await r.retrieve('What causes gout?')).status).toBe('ok');
    } finally {
      if (front.listening) await stop();
    }
  });
});
