/**
 * Worker-thread entry of the vector index: receives one {@link IndexBuildJob}, runs it, answers
 * `{ ok: true, result }` or `{ ok: false, message }`, and exits. Keeps the main thread's event loop
 * free while hnswlib builds (tens of seconds for the full corpus).
 */
import { parentPort } from 'node:worker_threads';
import { runIndexBuild, type IndexBuildJob } from './index-build-job.js';

parentPort?.once('message', (job: IndexBuildJob) => {
  try {
    parentPort!.postMessage({ ok: true, result: runIndexBuild(job) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
