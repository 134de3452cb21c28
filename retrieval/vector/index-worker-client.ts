import type { Worker } from 'node:worker_threads';
import { moduleExtension, startWorker } from '../start-worker.js';
import { VectorIndexError } from './errors.js';
import type { IndexBuildJob, IndexBuildResult } from './index-build-job.js';

/** Starts a worker of this folder (`hnsw-worker`, `lsa-fit-worker`), from the sources or `dist/` alike. */
function startFolderWorker(name: 'hnsw-worker' | 'lsa-fit-worker'): Worker {
  return startWorker(new URL(`./${name}${moduleExtension(import.meta.url)}`, import.meta.url));
}

/**
 * Runs one job in a fresh worker thread of this folder and resolves with its answer
 * (`{ ok: true, result }`), or rejects with `BUILD_FAILED` (`{ ok: false, message }`, a crash, an
 * early exit). `transfer` lists buffers to move rather than copy: do not use them after the call.
 *
 * @example
 * const result = await runInWorker<IndexBuildResult>('hnsw-worker', job, [job.addVectors.buffer]);
 */
export function runInWorker<R>(name: 'hnsw-worker' | 'lsa-fit-worker', job: unknown, transfer: ArrayBuffer[] = []): Promise<R> {
  return new Promise((resolve, reject) => {
    const worker = startFolderWorker(name);
    let settled = false;
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      reject(
        new VectorIndexError(
          'BUILD_FAILED',
          `${name === 'hnsw-worker' ? 'Building the vector index' : 'Fitting the embedder'} failed: ${message}`,
          { cause },
        ),
      );
    };
    worker.once('message', (reply: { ok: true; result: R } | { ok: false; message: string; code?: string }) => {
      if (reply.ok) {
        settled = true;
        resolve(reply.result);
      } else if (reply.code === 'EMPTY_CORPUS') {
        settled = true;
        reject(new VectorIndexError('EMPTY_CORPUS', reply.message));
      } else {
        fail(reply.message);
      }
      void worker.terminate();
    });
    worker.once('error', (error) => fail(error.message, error));
    worker.once('exit', (code) => fail(`the worker exited with code ${code} before answering`));
    worker.postMessage(job, [...new Set(transfer)]);
  });
}

/**
 * Runs an {@link IndexBuildJob} in a fresh worker thread and resolves with its result. The job's typed arrays are transferred: do not use them
 * after the call.
 *
 * @example
 * const result = await runIndexBuildInWorker(job);
 */
export function runIndexBuildInWorker(job: IndexBuildJob): Promise<IndexBuildResult> {
  return runInWorker<IndexBuildResult>(
    'hnsw-worker',
    job,
    [job.keep, job.remove, job.addLabels, job.addVectors].map((a) => a.buffer as ArrayBuffer),
  );
}
