import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { JobError, JobQueue, KnowledgeJobs, type JobContext } from '../../server/jobs/index.js';
import { tempDir } from '../helpers/paths.js';

/** A job whose end the test decides, exposing its context while it runs. */
function controllable<T>() {
  let finish!: (value: T) => void;
  let fail!: (error: unknown) => void;
  let ctx: JobContext | undefined;
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  return {
    run: (c: JobContext) =>
      new Promise<T>((resolve, reject) => {
        ctx = c;
        finish = resolve;
        fail = reject;
        c.signal.addEventListener('abort', () => reject(c.signal.reason));
        started();
      }),
    running,
    finish: (value: T) => finish(value),
    fail: (error: unknown) => fail(error),
    ctx: () => ctx!,
  };
}

async function settled(queue: JobQueue, id: string) {
  for (let i = 0; i < 1000; i++) {
    const job = queue.get(id)!;
    if (!['queued', 'running'].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error('job did not settle');
}

describe('JobQueue', () => {
  it('runs jobs one at a time in order, with progress visible while they run', async () => {
    const queue = new JobQueue();
    const a = controllable<string>();
    const b = controllable<string>();
    const jobA = queue.enqueue({ kind: 'ingest', target: 'a', run: a.run });
    const jobB = queue.enqueue({ kind: 'remove', target: 'b', run: b.run });
    await a.running;
    expect(queue.get(jobA.id)).toMatchObject({ status: 'running' });
    expect(queue.get(jobB.id)).toMatchObject({ status: 'queued', position: 1 });
    expect(queue.counts()).toEqual({ queued: 1, running: 1 });

    a.ctx().progress({ percent: 40, bytesDone: 400, bytesTotal: 1000, documents: 12 });
    expect(queue.get(jobA.id)!.progress).toMatchObject({ percent: 40, bytesDone: 400, bytesTotal: 1000, documents: 12 });
    a.finish('done a');
    await b.running;
    expect(queue.get(jobA.id)).toMatchObject({ status: 'succeeded', result: 'done a', progress: { percent: 100 } });
    expect(queue.get(jobB.id)!.status).toBe('running');
    b.fail(new JobError('INVALID_UPLOAD', 'broken'));
    expect(await settled(queue, jobB.id)).toMatchObject({ status: 'failed', error: { code: 'INVALID_UPLOAD', message: 'broken' } });
    expect(queue.list().map((j) => j.id)).toEqual([jobB.id, jobA.id]);
  });

  it('holds jobs until the store is ready', async () => {
    const queue = new JobQueue();
    let ready!: () => void;
    queue.runAfter(new Promise<void>((resolve) => (ready = resolve)));
    const job = controllable<number>();
    const view = queue.enqueue({ kind: 'ingest', target: 'x', run: job.run });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(queue.get(view.id)!.status).toBe('queued');
    ready();
    await job.running;
    job.finish(1);
    expect(await settled(queue, view.id)).toMatchObject({ status: 'succeeded', result: 1 });
  });

  it('shows a job finished only once its clean-up is done', async () => {
    const queue = new JobQueue();
    let cleaned = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const view = queue.enqueue({
      kind: 'ingest',
      target: 'x',
      run: () => Promise.resolve(1),
      settled: async () => {
        await gate;
        cleaned = true;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The run is over, but its clean-up (e.g. removing a replaced upload) is not: not finished yet.
    expect(queue.get(view.id)!.status).toBe('running');
    release();
    expect(await settled(queue, view.id)).toMatchObject({ status: 'succeeded', result: 1 });
    expect(cleaned).toBe(true);
  });

  it('cancels queued and running jobs, and tells each job how it ended', async () => {
    const queue = new JobQueue();
    const outcomes: string[] = [];
    const a = controllable<void>();
    const jobA = queue.enqueue({ kind: 'ingest', target: 'a', run: a.run, settled: ({ status }) => void outcomes.push(`a:${status}`) });
    const jobB = queue.enqueue({
      kind: 'ingest',
      target: 'b',
      run: () => Promise.resolve(),
      settled: ({ status }) => void outcomes.push(`b:${status}`),
    });
    await a.running;
    expect(queue.cancel(jobB.id).status).toBe('cancelled');
    queue.cancel(jobA.id);
    expect(a.ctx().signal.aborted).toBe(true);
    expect(await settled(queue, jobA.id)).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(outcomes.sort()).toEqual(['a:cancelled', 'b:cancelled']);
    expect(() => queue.cancel(jobA.id)).toThrow(expect.objectContaining({ code: 'JOB_FINISHED' }));
    expect(() => queue.cancel('missing')).toThrow(expect.objectContaining({ code: 'JOB_NOT_FOUND' }));
  });

  it('refuses jobs past its queue limit and after closing', async () => {
    const queue = new JobQueue({ maxQueued: 2 });
    const a = controllable<void>();
    queue.enqueue({ kind: 'k', target: 'a', run: a.run });
    await a.running;
    queue.enqueue({ kind: 'k', target: 'b', run: () => Promise.resolve() });
    const c = queue.enqueue({ kind: 'k', target: 'c', run: () => Promise.resolve() });
    expect(() => queue.enqueue({ kind: 'k', target: 'd', run: () => Promise.resolve() })).toThrow(
      expect.objectContaining({ code: 'QUEUE_FULL' }),
    );
    await queue.close();
    expect(a.ctx().signal.aborted).toBe(true);
    expect(queue.get(c.id)!.status).toBe('cancelled');
    expect(() => queue.enqueue({ kind: 'k', target: 'e', run: () => Promise.resolve() })).toThrow(
      expect.objectContaining({ code: 'QUEUE_CLOSED' }),
    );
  });

  it('forgets the oldest finished jobs past its memory', async () => {
    const queue = new JobQueue({ retain: 2 });
    const ids = [];
    for (let i = 0; i < 4; i++) {
      const view = queue.enqueue({ kind: 'k', target: String(i), run: () => Promise.resolve(i) });
      ids.push(view.id);
      await settled(queue, view.id);
    }
    expect(queue.list().map((j) => j.target)).toEqual(['3', '2']);
    expect(queue.get(ids[0]!)).toBeUndefined();
  });
});

describe('KnowledgeJobs', () => {
  it('brings derived indexes in step after each change, and reports a failure there without undoing the change', async () => {
    const tmp = tempDir();
    try {
      const dataDir = join(tmp.dir, 'data');
      const notes = join(tmp.dir, 'notes.jsonl');
      writeFileSync(notes, `${JSON.stringify({ id: 'n1', title: 'Note', text: 'Rest and fluids.' })}\n`);
      const store = KnowledgeStore.open({ dataDir });
      await ingest(store, { source: 'notes', paths: [notes] });
      store.close();

      const changed: string[] = [];
      let failing = false;
      const jobs = new KnowledgeJobs({
        dataDir,
        maxUploadBytes: 1 << 20,
        onStoreChanged: async (source, signal) => {
          expect(signal.aborted).toBe(false);
          changed.push(source);
          if (failing) throw new Error('index file is read-only');
        },
      });
      const refreshed = await settled(jobs.queue, jobs.refresh('notes').id);
      expect(refreshed).toMatchObject({ status: 'succeeded', result: { unchanged: 1 } });
      expect(refreshed.result).not.toHaveProperty('indexWarning');
      failing = true;
      const removed = await settled(jobs.queue, jobs.remove('notes').id);
      expect(removed).toMatchObject({
        status: 'succeeded',
        result: { source: 'notes', documents: 1, indexWarning: expect.stringMatching(/read-only/) },
      });
      expect(changed).toEqual(['notes', 'notes']);
      const after = KnowledgeStore.open({ dataDir });
      expect(after.listSources()).toEqual([]);
      after.close();
      await jobs.close();
    } finally {
      tmp.cleanup();
    }
  });
});
