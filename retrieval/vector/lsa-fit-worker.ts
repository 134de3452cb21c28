/**
 * Worker-thread entry that fits the built-in LSA embedder: receives an {@link LsaFitJob}, fits,
 * saves the model to `job.file` (atomically), answers `{ ok: true, result: { id, dimension } }`
 * or `{ ok: false, message }`, and exits. Fitting the full corpus takes about half a minute of
 * CPU, which would otherwise stall a serving event loop.
 */
import { parentPort } from 'node:worker_threads';
import { LsaEmbedder } from '../../model/embedding/index.js';
import type { LsaFitJob } from './lsa-state.js';

parentPort?.once('message', (job: LsaFitJob) => {
  (async () => {
    const model = LsaEmbedder.fit(job.texts, job.options);
    await model.save(job.file);
    return { id: model.id, dimension: model.dimension };
  })().then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (error: unknown) =>
      parentPort!.postMessage({
        ok: false,
        message: error instanceof Error ? error.message : String(error),
        code: (error as { code?: unknown }).code,
      }),
  );
});
