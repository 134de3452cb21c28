import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { VectorIndexError } from './errors.js';
import type { IndexBuildJob, IndexBuildResult } from './index-build-job.js';

/**
 * Starts a worker of this folder (`hnsw-worker`, `lsa-fit-worker`). From compiled JavaScript that is
 * `<name>.js`; from the TypeScript sources a small bootstrap registers tsx's ESM hooks in the worker
 * first and then imports `<name>.ts` (`--import tsx` in a worker's `execArgv` is not honoured for its entry module on
 * Node 20, and module hooks are per thread).
 *
 * @example
 * const worker = startWorker('hnsw-worker');
 */
export function startWorker(name: 'hnsw-worker' | 'lsa-fit-worker'): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url));
  const tsxApi = tsxEsmApiUrl();
  const script = new URL(`./${name}.ts`, import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * The URL of tsx's ESM API module (`tsx/esm/api`, import condition), read from tsx's export map:
 * `require.resolve` would pick the CommonJS build, whose `register()` resolves its hooks wrongly
 * from a worker.
 */
function tsxEsmApiUrl(): string {
  const packageFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(packageFile, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const target = manifest.exports['./esm/api']?.import?.default;
  if (!target) throw new VectorIndexError('BUILD_FAILED', 'Cannot find tsx/esm/api to run a vector worker from TypeScript sources.');
  return pathToFileURL(join(dirname(packageFile), target)).href;
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
    const worker = startWorker(name);
    let settled = false;
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      reject(new VectorIndexError('BUILD_FAILED', `${name === 'hnsw-worker' ? 'Building the vector index' : 'Fitting the embedder'} failed: ${message}`, { cause }));
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
  return runInWorker<IndexBuildResult>('hnsw-worker', job, [job.keep, job.remove, job.addLabels, job.addVectors].map((a) => a.buffer as ArrayBuffer));
}
