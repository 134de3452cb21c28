import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { startServer, type RunningServer } from '../../server/http/start-server.js';
import type { JobView } from '../../server/jobs/index.js';
import { createLogger } from '../../server/logging/logger.js';
import { ApiKeyStore } from '../../server/security/index.js';
import { SHARED_DATA, tempDir } from '../helpers/paths.js';

// A real server over an empty store; knowledge is administered with a real admin key.
const tmp = tempDir();
const dataDir = join(tmp.dir, 'data');
let server: RunningServer;
let admin: Record<string, string>;
let clinician: Record<string, string>;

beforeAll(async () => {
  const keys = ApiKeyStore.open({ dataDir });
  admin = { authorization: `Bearer ${keys.create({ role: 'admin' }).key}` };
  clinician = { authorization: `Bearer ${keys.create({ role: 'clinician' }).key}` };
  keys.close();
  const config = loadConfig({
    env: {},
    overrides: { dataDir, server: { port: 0 }, seed: { enabled: false }, wikipedia: { enabled: false }, security: { maxUploadMb: 4 } },
  });
  server = await startServer(config, createLogger('silent'));
  await server.ready;
});

afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

interface Doc {
  id: string;
  title: string;
  text: string;
}
const jsonl = (docs: Doc[]) => docs.map((d) => JSON.stringify(d)).join('\n') + '\n';
const doc = (i: number, extra = ''): Doc => ({
  id: `note-${i}`,
  title: `Clinic note ${i}`,
  text: `Note ${i} about zorblaxitis management${extra}. ${'Patients with zorblaxitis should rest and drink fluids. '.repeat(3)}`,
});

const url = (path: string) => `${server.url}${path}`;

async function upload(query: string, body: NonNullable<RequestInit['body']>, contentType?: string, headers = admin): Promise<Response> {
  return fetch(url(`/v1/knowledge/ingest?${query}`), {
    method: 'POST',
    headers: { ...headers, ...(contentType ? { 'content-type': contentType } : {}) },
    body,
  });
}

async function accepted(res: Response): Promise<JobView> {
  const body = (await res.json()) as { job: JobView; error?: unknown };
  expect(res.status, JSON.stringify(body)).toBe(202);
  expect(res.headers.get('location')).toBe(`/v1/jobs/${body.job.id}`);
  return body.job;
}

/** Polls a job until it has finished, keeping every state seen. */
async function finished(id: string): Promise<{ job: JobView; seen: JobView[] }> {
  const seen: JobView[] = [];
  for (let i = 0; i < 2400; i++) {
    const res = await fetch(url(`/v1/jobs/${id}`), { headers: admin });
    expect(res.status).toBe(200);
    const { job } = (await res.json()) as { job: JobView };
    seen.push(job);
    if (!['queued', 'running'].includes(job.status)) return { job, seen };
    // Back off (25 ms up to 400 ms) so a slow machine's long job stays under the key's 300/min budget.
    await new Promise((resolve) => setTimeout(resolve, Math.min(400, 25 * 1.25 ** i)));
  }
  throw new Error(`job ${id} did not finish`);
}

async function sources(): Promise<Array<{ name: string; documents: number; license: string }>> {
  const res = await fetch(url('/v1/knowledge/sources'), { headers: admin });
  expect(res.status).toBe(200);
  return ((await res.json()) as { sources: Array<{ name: string; documents: number; license: string }> }).sources;
}

async function searchTitles(query: string): Promise<string[]> {
  const res = await fetch(url('/v1/search'), {
    method: 'POST',
    headers: { ...clinician, 'content-type': 'application/json' },
    body: JSON.stringify({ query, k: 10 }),
  });
  return ((await res.json()) as { hits: Array<{ title: string }> }).hits.map((h) => h.title);
}

async function errorOf(res: Response): Promise<{ status: number; code: string }> {
  const body = (await res.json()) as { error: { code: string } };
  return { status: res.status, code: body.error.code };
}

const incoming = () => {
  const dir = join(dataDir, 'uploads', '.incoming');
  return existsSync(dir) ? readdirSync(dir) : [];
};

describe('knowledge administration over HTTP', () => {
  it('ingests a JSON Lines upload as a job, and the server searches it after the commit', async () => {
    const job = await accepted(await upload('source=notes&license=CC0-1.0', jsonl([doc(1), doc(2), doc(3)]), 'application/x-ndjson'));
    expect(job).toMatchObject({ kind: 'ingest', target: 'notes' });
    expect(['queued', 'running']).toContain(job.status);
    const { job: done } = await finished(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.progress.percent).toBe(100);
    expect(done.result).toMatchObject({ source: 'notes', added: 3, updated: 0, removed: 0, rejected: 0 });
    expect(await sources()).toContainEqual(expect.objectContaining({ name: 'notes', documents: 3, license: 'CC0-1.0' }));
    expect(await searchTitles('zorblaxitis')).toEqual(expect.arrayContaining(['Clinic note 1', 'Clinic note 2', 'Clinic note 3']));
  });

  it('learns the synonyms of an uploaded source for the questions that follow, without a restart', async () => {
    // A real MedQuAD document with its focus and synonym renamed to words no vocabulary Galen ships
    // knows, so only the upload can teach them.
    const question = 'What is deficiency of quuxoxidase?';
    const retrieve = async () => {
      const res = await fetch(url('/v1/retrieve'), {
        method: 'POST',
        headers: { ...clinician, 'content-type': 'application/json' },
        body: JSON.stringify({ query: question, k: 3 }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { query: string; hits: Array<{ title: string }> };
    };
    expect((await retrieve()).query).not.toMatch(/zorblaxemia/i);
    // The document's focus, aceruloplasminemia (here zorblaxemia), lists "deficiency of ferroxidase" as a synonym.
    const xml = readFileSync(join(SHARED_DATA, 'medquad', '3_GHR_QA', '0000005.xml'), 'utf8')
      .replaceAll('Aceruloplasminemia', 'Zorblaxemia')
      .replaceAll('aceruloplasminemia', 'zorblaxemia')
      .replaceAll('ferroxidase', 'quuxoxidase');
    const { job } = await finished((await accepted(await upload('source=ghr-upload&format=medquad', xml, 'application/xml'))).id);
    expect(job.status).toBe('succeeded');
    const after = await retrieve();
    expect(after.query).toMatch(/zorblaxemia/i);
    expect(after.hits[0]?.title).toMatch(/zorblaxemia/i);
  });

  it('ingests a multipart upload of several files', async () => {
    const form = new FormData();
    form.set('source', 'handbook');
    form.set('attribution', 'Ward 3 handbook');
    form.append(
      'file',
      new Blob(['# Quuxopathy\n\nQuuxopathy is treated with rest.\n\n## Symptoms\n\nItchy elbows.\n'], { type: 'text/markdown' }),
      'quuxopathy.md',
    );
    form.append(
      'file',
      new Blob([jsonl([{ id: 'h-1', title: 'Flimflam fever', text: 'Flimflam fever passes in a week.' }])]),
      '../../escape.jsonl',
    );
    const { job } = await finished((await accepted(await upload('', form))).id);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ added: 2, files: 2 });
    expect(await sources()).toContainEqual(expect.objectContaining({ name: 'handbook', documents: 2 }));
    // File names are reduced to safe names inside the source's upload folder.
    const [dir] = readdirSync(join(dataDir, 'uploads', 'handbook'));
    expect(readdirSync(join(dataDir, 'uploads', 'handbook', dir!)).sort()).toEqual(['escape.jsonl', 'quuxopathy.md']);
  });

  it('refreshes a source from its uploaded files, and a new upload replaces them', async () => {
    const refreshed = await finished(
      (
        await accepted(
          await fetch(url('/v1/knowledge/refresh'), {
            method: 'POST',
            headers: { ...admin, 'content-type': 'application/json' },
            body: JSON.stringify({ source: 'notes' }),
          }),
        )
      ).id,
    );
    expect(refreshed.job).toMatchObject({
      kind: 'refresh',
      status: 'succeeded',
      result: { added: 0, updated: 0, unchanged: 3, removed: 0 },
    });

    const replaced = await finished(
      (await accepted(await upload('source=notes', jsonl([doc(1), doc(2, ' revised')]), 'application/x-ndjson'))).id,
    );
    expect(replaced.job.result).toMatchObject({ added: 0, updated: 1, unchanged: 1, removed: 1 });
    expect(readdirSync(join(dataDir, 'uploads', 'notes'))).toHaveLength(1);
    expect(await searchTitles('zorblaxitis')).not.toContain('Clinic note 3');
  });

  it('removes a source with its documents and uploaded files', async () => {
    const res = await fetch(url('/v1/knowledge/sources/handbook'), { method: 'DELETE', headers: admin });
    const { job } = await finished((await accepted(res)).id);
    expect(job).toMatchObject({ kind: 'remove', status: 'succeeded', result: { source: 'handbook', documents: 2 } });
    expect((await sources()).map((s) => s.name)).not.toContain('handbook');
    expect(existsSync(join(dataDir, 'uploads', 'handbook'))).toBe(false);
    expect(await searchTitles('quuxopathy')).toEqual([]);
  });

  it('reports progress and runs jobs one at a time', async () => {
    const docs = Array.from({ length: 2500 }, (_, i) => doc(1000 + i));
    const body = jsonl(docs);
    const first = await accepted(await upload('source=bulk', body, 'application/x-ndjson'));
    const second = await accepted(await fetch(url('/v1/knowledge/sources/notes'), { method: 'DELETE', headers: admin }));
    const a = await finished(first.id);
    const b = await finished(second.id);
    expect(a.job.status).toBe('succeeded');
    expect(a.job.progress).toMatchObject({
      percent: 100,
      bytesDone: Buffer.byteLength(body),
      bytesTotal: Buffer.byteLength(body),
      files: 1,
      filesDone: 1,
      documents: 2500,
    });
    const percents = a.seen.map((j) => j.progress.percent ?? 0);
    expect(percents).toEqual([...percents].sort((x, y) => x - y));
    expect(b.job.status).toBe('succeeded');
    expect(Date.parse(b.job.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a.job.finishedAt!));

    const listed = (await (await fetch(url('/v1/jobs'), { headers: admin })).json()) as { jobs: JobView[] };
    expect(listed.jobs.slice(0, 2).map((j) => j.id)).toEqual([second.id, first.id]);
    expect(await errorOf(await fetch(url(`/v1/jobs/${first.id}`), { method: 'DELETE', headers: admin }))).toEqual({
      status: 409,
      code: 'JOB_FINISHED',
    });
  });

  it('answers unknown sources and jobs with 404', async () => {
    const refresh = await fetch(url('/v1/knowledge/refresh'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'nope' }),
    });
    expect(await errorOf(refresh)).toEqual({ status: 404, code: 'SOURCE_NOT_FOUND' });
    expect(await errorOf(await fetch(url('/v1/knowledge/sources/nope'), { method: 'DELETE', headers: admin }))).toEqual({
      status: 404,
      code: 'SOURCE_NOT_FOUND',
    });
    expect(await errorOf(await fetch(url('/v1/jobs/3b1f0c2e-0000-4000-8000-000000000000'), { headers: admin }))).toEqual({
      status: 404,
      code: 'JOB_NOT_FOUND',
    });
  });

  it('refuses bad uploads with clear errors and keeps nothing of them', async () => {
    const small = jsonl([doc(9)]);
    expect(await errorOf(await upload('source=bad%20name!', small, 'application/x-ndjson'))).toEqual({
      status: 400,
      code: 'INVALID_SOURCE_NAME',
    });
    expect(await errorOf(await upload('', small, 'application/x-ndjson'))).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    expect(await errorOf(await upload('source=x&format=pdf', small, 'application/x-ndjson'))).toEqual({
      status: 400,
      code: 'INVALID_REQUEST',
    });
    expect(await errorOf(await upload('source=x', '', 'application/x-ndjson'))).toEqual({ status: 400, code: 'INVALID_UPLOAD' });
    expect(await errorOf(await upload('source=x', JSON.stringify({ id: 1 }), 'application/json'))).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    expect(await errorOf(await upload('source=x', small, 'application/x-ndjson', clinician))).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(await errorOf(await upload('source=x', small, 'application/x-ndjson', {}))).toEqual({ status: 403, code: 'FORBIDDEN' });

    // Over the 4 MiB limit: with a declared length it is refused unread; streamed, once the limit is passed.
    const big = Buffer.alloc(5 * 1024 * 1024, 'a');
    expect(await errorOf(await upload('source=x', big, 'application/x-ndjson'))).toEqual({ status: 413, code: 'UPLOAD_TOO_LARGE' });
    const chunks = Array.from({ length: 40 }, () => Buffer.alloc(128 * 1024, 'b'));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const streamed = await fetch(url('/v1/knowledge/ingest?source=x'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/x-ndjson' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(await errorOf(streamed)).toEqual({ status: 413, code: 'UPLOAD_TOO_LARGE' });
    const form = new FormData();
    form.set('source', 'x');
    form.append('file', new Blob([big]), 'big.jsonl');
    expect((await upload('', form)).status).toBe(413);
    // A multipart body streamed without a length: two files that pass the limit only together.
    const boundary = 'galen-test-boundary';
    const part = (name: string, size: number) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/x-ndjson\r\n\r\n`,
        ),
        Buffer.alloc(size, 'c'),
        Buffer.from('\r\n'),
      ]);
    const parts = [
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="source"\r\n\r\nx\r\n`),
      part('one.jsonl', 3 * 1024 * 1024),
      part('two.jsonl', 3 * 1024 * 1024),
      Buffer.from(`--${boundary}--\r\n`),
    ];
    const multipart = await fetch(url('/v1/knowledge/ingest'), {
      method: 'POST',
      headers: { ...admin, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = parts.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(await errorOf(multipart)).toEqual({ status: 413, code: 'UPLOAD_TOO_LARGE' });

    expect(incoming()).toEqual([]);
    expect((await sources()).map((s) => s.name)).not.toContain('x');
  });
});
