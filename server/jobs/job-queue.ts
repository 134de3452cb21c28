import { randomUUID } from 'node:crypto';
import { JobError } from './errors.js';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** How far a job has got. `percent` is null while the total is not yet known. */
export interface JobProgress {
  percent: number | null;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  files: number;
  documents: number;
}

/** A job as `GET /v1/jobs/:id` shows it. */
export interface JobView {
  id: string;
  kind: string;
  /** What the job works on (a source name). */
  target: string;
  status: JobStatus;
  progress: JobProgress;
  /** Jobs ahead of this one, while queued. */
  position?: number;
  result?: unknown;
  error?: { code: string; message: string };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What a running job gets: a signal to stop on and a way to report progress. */
export interface JobContext {
  signal: AbortSignal;
  progress(update: Partial<JobProgress>): void;
}

/** A job to run: its work and what to do once it has settled, whatever the outcome. */
export interface JobSpec<R> {
  kind: string;
  target: string;
  run(ctx: JobContext): Promise<R>;
  /** Called once the job has settled, also when it was cancelled before it ran. */
  settled?(outcome: { status: JobStatus; result?: R; error?: unknown }): void | Promise<void>;
}

/** Limits of a {@link JobQueue}. */
export interface JobQueueOptions {
  /** Jobs that may wait at once; more are refused with `QUEUE_FULL`. Default 20. */
  maxQueued?: number;
  /** Finished jobs remembered for `get`, newest kept. Default 200. */
  retain?: number;
}

interface JobRecord {
  view: JobView;
  spec: JobSpec<unknown>;
  controller: AbortController;
}

/**
 * Runs jobs one at a time, in order, in this process: the knowledge store allows one writer, so
 * ingests, refreshes and removals queue behind each other. Job state lives in memory (a restart
 * forgets finished jobs; an interrupted ingest rolls back).
 *
 * @example
 * const queue = new JobQueue();
 * const job = queue.enqueue({ kind: 'refresh', target: 'medquad', run: async ({ progress }) => { progress({ percent: 50 }); return 'done'; } });
 * queue.get(job.id)?.status; // 'queued' | 'running' | 'succeeded' …
 */
export class JobQueue {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly waiting: JobRecord[] = [];
  private running: JobRecord | null = null;
  private gate: Promise<unknown> = Promise.resolve();
  private pumping = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly maxQueued: number;
  private readonly retain: number;

  constructor(options: JobQueueOptions = {}) {
    this.maxQueued = Math.max(1, options.maxQueued ?? 20);
    this.retain = Math.max(1, options.retain ?? 200);
  }

  /** Holds every job until `ready` settles (the seed ingest, which writes the same store). */
  runAfter(ready: Promise<unknown>): void {
    // Gates add up: each one given must have settled.
    this.gate = Promise.all([this.gate, ready.catch(() => undefined)]);
  }

  /** Queues a job and returns its view; it starts when those before it have finished. */
  enqueue<R>(spec: JobSpec<R>): JobView {
    if (this.closed) throw new JobError('QUEUE_CLOSED', 'The server is shutting down; no new jobs are taken.');
    if (this.waiting.length >= this.maxQueued) {
      throw new JobError('QUEUE_FULL', `${this.waiting.length} jobs are already waiting; try again when some have finished.`);
    }
    const view: JobView = {
      id: randomUUID(),
      kind: spec.kind,
      target: spec.target,
      status: 'queued',
      progress: { percent: 0, bytesDone: 0, bytesTotal: 0, filesDone: 0, files: 0, documents: 0 },
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
    };
    const record: JobRecord = { view, spec: spec as JobSpec<unknown>, controller: new AbortController() };
    this.jobs.set(view.id, record);
    this.waiting.push(record);
    this.pump();
    return this.snapshot(record);
  }

  /** A copy of job `id`'s current state, or undefined for an unknown (or forgotten) id. */
  get(id: string): JobView | undefined {
    const record = this.jobs.get(id);
    return record ? this.snapshot(record) : undefined;
  }

  /** Every remembered job, newest first. */
  list(): JobView[] {
    return [...this.jobs.values()].reverse().map((r) => this.snapshot(r));
  }

  /** Jobs waiting and running, for metrics. */
  counts(): { queued: number; running: number } {
    return { queued: this.waiting.length, running: this.running ? 1 : 0 };
  }

  /**
   * Cancels job `id`: a queued job never runs; a running one is aborted (an ingest rolls back).
   * A finished job is a `JOB_FINISHED` error, an unknown one `JOB_NOT_FOUND`.
   */
  cancel(id: string): JobView {
    const record = this.jobs.get(id);
    if (!record) throw new JobError('JOB_NOT_FOUND', `No job with id ${JSON.stringify(id)}.`);
    if (record.view.status === 'queued') {
      this.waiting.splice(this.waiting.indexOf(record), 1);
      void this.finish(record, 'cancelled', { error: new JobError('CANCELLED', 'Cancelled before it started.') }, false);
    } else if (record.view.status === 'running') {
      record.controller.abort(new JobError('CANCELLED', 'Cancelled while running; nothing was changed.'));
    } else {
      throw new JobError('JOB_FINISHED', `Job ${id} has already ${record.view.status}.`);
    }
    return this.snapshot(record);
  }

  /** Takes no more jobs, cancels the waiting ones, aborts the running one and waits for it to stop. */
  async close(): Promise<void> {
    this.closed = true;
    for (const record of this.waiting.splice(0))
      void this.finish(record, 'cancelled', { error: new JobError('CANCELLED', 'The server shut down.') }, false);
    this.running?.controller.abort(new JobError('CANCELLED', 'The server shut down; nothing was changed.'));
    await this.idle;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    this.idle = (async () => {
      await this.gate;
      let record: JobRecord | undefined;
      while ((record = this.waiting.shift())) await this.execute(record);
      this.pumping = false;
    })();
  }

  private async execute(record: JobRecord): Promise<void> {
    this.running = record;
    record.view.status = 'running';
    record.view.startedAt = new Date().toISOString();
    const ctx: JobContext = {
      signal: record.controller.signal,
      progress: (update) => Object.assign(record.view.progress, update),
    };
    try {
      const result = await record.spec.run(ctx);
      record.view.progress.percent = 100;
      await this.finish(record, 'succeeded', { result });
    } catch (error) {
      await this.finish(record, record.controller.signal.aborted ? 'cancelled' : 'failed', {
        error: record.controller.signal.aborted ? record.controller.signal.reason : error,
      });
    } finally {
      this.running = null;
    }
  }

  /**
   * Settles a job. A job that ran shows its outcome only after its clean-up (`settled`), so a client
   * that sees it finished sees the files it leaves; one cancelled before it started shows it at once.
   */
  private async finish(record: JobRecord, status: JobStatus, outcome: { result?: unknown; error?: unknown }, ran = true): Promise<void> {
    const publish = () => {
      record.view.status = status;
      record.view.finishedAt = new Date().toISOString();
      if (outcome.result !== undefined) record.view.result = outcome.result;
      if (outcome.error !== undefined) record.view.error = describeError(outcome.error);
    };
    if (!ran) publish();
    try {
      await record.spec.settled?.({ status, ...outcome });
    } catch {
      // Clean-up after a job is best effort: its outcome stands.
    }
    if (ran) publish();
    this.forgetOld();
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((r) => r.view.finishedAt !== null);
    for (const r of finished.slice(0, Math.max(0, finished.length - this.retain))) this.jobs.delete(r.view.id);
  }

  private snapshot(record: JobRecord): JobView {
    const view: JobView = { ...record.view, progress: { ...record.view.progress } };
    if (view.status === 'queued') view.position = this.waiting.indexOf(record) + (this.running ? 1 : 0);
    return view;
  }
}

function describeError(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown };
  return {
    code: typeof e?.code === 'string' && /^[A-Z][A-Z_]+$/.test(e.code) ? e.code : 'JOB_FAILED',
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
}
