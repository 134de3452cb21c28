import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on a module of this package. A compiled `.js` module starts as it is;
 * from the TypeScript sources a small bootstrap registers tsx's ESM hooks in the worker first and
 * then imports the `.ts` module (`--import tsx` in a worker's `execArgv` is not honoured for its
 * entry module on Node 20, and module hooks are per thread). Callers name the module with their
 * own file's extension, so the sources start `.ts` workers and `dist/` starts `.js` ones.
 *
 * @example
 * const worker = startWorker(new URL(`./hnsw-worker${moduleExtension(import.meta.url)}`, import.meta.url));
 */
export function startWorker(module: URL, workerData?: unknown): Worker {
  const options = workerData === undefined ? {} : { workerData };
  if (!module.pathname.endsWith('.ts')) return new Worker(module, options);
  const bootstrap = `import(${JSON.stringify(tsxEsmApiUrl())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** `.ts` when `moduleUrl` (a caller's `import.meta.url`) is a TypeScript source, else `.js`. */
export function moduleExtension(moduleUrl: string): '.ts' | '.js' {
  return moduleUrl.endsWith('.ts') ? '.ts' : '.js';
}

let tsxApi: string | undefined;

/**
 * The URL of tsx's ESM API module (`tsx/esm/api`, import condition), read from tsx's export map:
 * `require.resolve` would pick the CommonJS build, whose `register()` resolves its hooks wrongly
 * from a worker.
 */
function tsxEsmApiUrl(): string {
  if (tsxApi) return tsxApi;
  const packageFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(packageFile, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const target = manifest.exports['./esm/api']?.import?.default;
  if (!target) throw new Error('Cannot find tsx/esm/api to start a worker thread from the TypeScript sources.');
  return (tsxApi = pathToFileURL(join(dirname(packageFile), target)).href);
}
