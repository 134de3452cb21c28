// Done-when of issue 15: a real `galen serve` answers chat, streamed chat, /v1/chat/completions
// (plain and streamed) and /v1/retrieve requests carrying every identifier of the corpus — in the
// question, the conversation and the patient notes — with Wikipedia up (the real MediaWiki behind
// a capturing proxy), down (a closed port) and hanging (accepts, never answers), and none of the
// identifiers shows up in its stdout/stderr, its audit log, /metrics, the Wikipedia cache or any
// other file of its data directory, nor in what the wiki was sent. With question logging on the
// audit log holds the questions, redacted.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../helpers/galen-serve.js';
import { ROOT, tempDir } from '../helpers/paths.js';
import { capturingMediaWiki, type CapturingMediaWiki } from './capturing-mediawiki.js';
import { findIdentifiers, IDENTIFIERS, QUESTIONS } from './fixtures/identifiers.js';

const tmp = tempDir('galen-leaks-');
const template = join(tmp.dir, 'template');
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(() => {
  // One store for every run: the security corpus, ingested by the real CLI (vectors included).
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'galen.js'),
      '--data',
      template,
      'ingest',
      join(ROOT, 'tests', 'security', 'fixtures', 'corpus.jsonl'),
      '--source',
      'sec',
      '--format',
      'jsonl',
    ],
    { cwd: ROOT, env: { ...process.env, GALEN_FROM_SOURCE: '1' }, encoding: 'utf8', timeout: 120_000 },
  );
  expect(r.status, r.stderr).toBe(0);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  tmp.cleanup();
});

type WikiState = 'up' | 'down' | 'hanging';

/** The wiki the server is pointed at, and what it was sent (nothing when down). */
async function wikiFor(state: WikiState): Promise<{ url: string; requests: () => string[] }> {
  if (state === 'down') {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return { url: `http://127.0.0.1:${port}/api.php`, requests: () => [] };
  }
  const wiki: CapturingMediaWiki = await capturingMediaWiki(
    state === 'up' ? { upstream: process.env['GALEN_TEST_MEDIAWIKI_URL']! } : { mode: 'hang' },
  );
  cleanups.push(() => wiki.close());
  return { url: wiki.url, requests: () => wiki.requests };
}

/** Free text about the patient carrying identifiers too (notes, conditions). */
function patientOf(question: string) {
  return { age: 67, sex: 'male' as const, conditions: ['gout', `seen by ${IDENTIFIERS[3]!.text}`], notes: question };
}

/** Every request kind, each carrying `question`; returns the statuses. */
async function ask(url: string, question: string, n: number): Promise<number[]> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.text(); // streams read to their end
    return res.status;
  };
  const earlier = QUESTIONS[(n + 1) % QUESTIONS.length]!;
  const conversation = [
    { role: 'user', content: earlier },
    { role: 'assistant', content: 'Here is what the sources say.' },
    { role: 'user', content: question },
  ];
  return [
    await post('/v1/chat', { messages: [{ role: 'user', content: question }] }),
    await post('/v1/chat', { messages: conversation, options: { patient: patientOf(question) } }),
    await post('/v1/chat', { messages: [{ role: 'user', content: question }], stream: true, options: { patient: patientOf(earlier) } }),
    await post('/v1/chat/completions', { model: 'galen', messages: conversation }),
    await post('/v1/chat/completions', {
      model: 'galen',
      messages: [{ role: 'user', content: question }],
      stream: true,
      galen: { patient: patientOf(question) },
    }),
    await post('/v1/chat/completions', {
      model: 'galen',
      messages: [
        { role: 'system', content: question },
        { role: 'user', content: question },
      ],
      stream: true,
    }),
    await post('/v1/retrieve', { query: question, k: 5 }),
    await post('/v1/retrieve', { query: question, k: 5, sources: ['wikipedia'] }),
  ];
}

/** Every file under `dir`, as raw text, by relative path. */
function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else out.set(relative(dir, path), readFileSync(path, 'latin1'));
  };
  visit(dir);
  return out;
}

/** Where identifiers were found, as `place: kind: needle`. */
function leaks(places: Record<string, string>): string[] {
  return Object.entries(places).flatMap(([place, text]) => findIdentifiers(text).map((found) => `${place}: ${found}`));
}

const RUNS: Array<{ wiki: WikiState; questions: boolean }> = [
  { wiki: 'up', questions: false },
  { wiki: 'down', questions: false },
  { wiki: 'hanging', questions: false },
  { wiki: 'up', questions: true },
];

describe('no identifier leaves a request', () => {
  for (const run of RUNS) {
    it(`with Wikipedia ${run.wiki} and question logging ${run.questions ? 'on' : 'off'}`, async () => {
      const data = join(tmp.dir, `${run.wiki}-${run.questions ? 'logged' : 'unlogged'}`);
      cpSync(template, data, { recursive: true });
      const wiki = await wikiFor(run.wiki);
      const serve: ServeProcess = await startServe(data, {
        GALEN_SEED: 'false',
        GALEN_WIKIPEDIA_URL: wiki.url,
        GALEN_WIKIPEDIA_BUDGET_MS: run.wiki === 'up' ? '5000' : '400',
        GALEN_AUDIT_QUESTIONS: String(run.questions),
        GALEN_RETRIEVAL_WORKERS: '1',
        // Every line the server can write, debug included.
        GALEN_LOG_LEVEL: 'trace',
      });
      cleanups.push(() => serve.stop());
      await serve.waitFor(/"msg":"vector index ready"/);

      for (const [n, question] of QUESTIONS.entries()) expect(await ask(serve.url, question, n)).toEqual(Array(8).fill(200));
      // Feedback notes are kept (redacted); the question and answer only with question logging.
      for (const note of QUESTIONS) {
        const res = await fetch(`${serve.url}/v1/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ answerId: 'ans-1', rating: 'down', note, question: note, answer: note }),
        });
        expect(res.status).toBe(201);
      }
      // A refused request echoes nothing into the logs either.
      const refused = await fetch(`${serve.url}/v1/retrieve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: QUESTIONS[0], k: 1000 }),
      });
      expect(refused.status).toBe(400);
      const metrics = await (await fetch(`${serve.url}/metrics`)).text();
      expect(metrics).toContain('galen_');

      const running = filesUnder(data);
      expect(await serve.stop()).toBe(0);
      const stopped = filesUnder(data);
      const audit = stopped.get('audit.log')!;
      expect(audit.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(QUESTIONS.length * 9 + 1);
      expect(stopped.get('feedback.jsonl')!.split('\n').filter(Boolean).length).toBe(QUESTIONS.length);
      expect([...running.keys()]).toContain('wikipedia-cache.sqlite');

      const places: Record<string, string> = {
        stdout: serve.stdout(),
        stderr: serve.stderr(),
        metrics,
        'wiki requests': wiki.requests().join('\n'),
      };
      for (const [name, text] of running) places[`${name} (running)`] = text;
      for (const [name, text] of stopped) places[name] = text;
      expect(leaks(places)).toEqual([]);

      // The checks could fail: the server logged, the wiki was asked (unless down), and the
      // audit log holds the redacted questions exactly when told to.
      expect(serve.stdout()).toContain('"msg":"answer"');
      if (run.wiki !== 'down') expect(wiki.requests().length).toBeGreaterThan(0);
      if (run.wiki === 'up') expect(wiki.requests().join('\n')).toMatch(/srsearch=[^&]*gout/);
      const questions = audit
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { question?: string }).question)
        .filter((q) => q !== undefined);
      if (run.questions) {
        expect(questions.length).toBeGreaterThanOrEqual(QUESTIONS.length * 8);
        expect(questions.some((q) => q.includes('gout') && q.includes('[name]'))).toBe(true);
      } else expect(questions).toEqual([]);
    });
  }
});

/** A serving engine that lists a model and fails every completion with an error quoting the prompt (as some do). */
async function echoingEngine(): Promise<{ url: string; received: string[] }> {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.url?.endsWith('/models')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'echo' }] }));
        return;
      }
      received.push(body);
      const messages = (JSON.parse(body) as { messages?: Array<{ content: string }> }).messages ?? [];
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: `cannot answer: ${messages.at(-1)?.content.slice(-400) ?? body.slice(0, 400)}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1`, received };
}

describe('no identifier reaches the log through an error', () => {
  it('when the serving engine quotes the prompt in its errors', async () => {
    const data = join(tmp.dir, 'engine');
    cpSync(template, data, { recursive: true });
    const engine = await echoingEngine();
    const serve = await startServe(data, {
      GALEN_SEED: 'false',
      GALEN_WIKIPEDIA: 'false',
      GALEN_VECTORS: 'false',
      GALEN_RETRIEVAL_WORKERS: '0',
      GALEN_MODEL_BACKEND: 'openai-compatible',
      GALEN_UPSTREAM_URL: engine.url,
      GALEN_UPSTREAM_MODEL: 'echo',
      GALEN_UPSTREAM_RETRIES: '0',
      GALEN_LOG_LEVEL: 'trace',
    });
    cleanups.push(() => serve.stop());
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${serve.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.text();
      return res.status;
    };
    for (const question of QUESTIONS.slice(0, 3)) {
      const messages = [{ role: 'user', content: question }];
      // Refused (no engine answered) before the response starts, or failed in the stream after it.
      expect(await post('/v1/chat', { messages })).toBeGreaterThanOrEqual(500);
      expect([200, 500, 503]).toContain(await post('/v1/chat', { messages, stream: true }));
      expect(await post('/v1/chat/completions', { model: 'galen', messages })).toBeGreaterThanOrEqual(500);
      expect([200, 500, 503]).toContain(await post('/v1/chat/completions', { model: 'galen', messages, stream: true }));
    }
    expect(await serve.stop()).toBe(0);
    // The engine got the identifiers (the prompt is its to read) and the failures were logged.
    expect(findIdentifiers(engine.received.join('\n')).length).toBeGreaterThan(0);
    expect(serve.stdout()).toMatch(/"level":50/);
    expect(leaks({ stdout: serve.stdout(), stderr: serve.stderr(), 'audit.log': readFileSync(join(data, 'audit.log'), 'utf8') })).toEqual(
      [],
    );
  });
});
