/**
 * `npm run bench [-- options]`: runs the benchmark modules in sequence and prints one JSON object
 * to stdout (progress goes to stderr).
 *
 *   --quick             smoke run: smaller workloads (e.g. a 50,000-chunk synthetic store, 200 queries)
 *   --only a,b          run only the named modules (see --list)
 *   --set key=value     module override, repeatable; knowledge reads syntheticChunks, queries and keepData=1
 *                       (e.g. --set syntheticChunks=200000 --set queries=500)
 *   --out FILE          also write the JSON to FILE (npm prints its own banner on stdout; use this or `npm run -s`)
 *   --list              list the modules and exit
 *
 * To add a benchmark: write `bench/<name>-bench.ts` exporting a {@link BenchModule} and append it to MODULES.
 */
import BetterSqlite3 from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { makeLogger, maxRssMiB, ROOT, round, type BenchModule, type BenchOptions } from './common.js';
import { embeddingBench } from './embedding-bench.js';
import { knowledgeBench } from './knowledge-bench.js';
import { retrievalBench } from './retrieval-bench.js';
import { serverBench } from './server-bench.js';
import { modelBuildBench } from './model-build-bench.js';
import { generationBench } from './generation-bench.js';
import { answerBench } from './answer-bench.js';
import { cdsBench } from './cds-bench.js';
import { upstreamBench } from './upstream-bench.js';

/** Every benchmark, in the order they run. */
const MODULES: readonly BenchModule[] = [
  knowledgeBench,
  embeddingBench,
  modelBuildBench,
  generationBench,
  serverBench,
  retrievalBench,
  answerBench,
  cdsBench,
  upstreamBench,
];

function machine() {
  const cpus = os.cpus();
  const db = new BetterSqlite3(':memory:');
  const sqliteVersion = db.prepare('select sqlite_version()').pluck().get() as string;
  db.close();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    totalMemoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    sqliteVersion,
    timestamp: new Date().toISOString(),
  };
}

function gitRevision(): { commit: string; dirty: boolean } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      set: { type: 'string', multiple: true },
      out: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help || values.list) {
    for (const m of MODULES) process.stderr.write(`${m.name.padEnd(12)} ${m.description}\n`);
    if (values.help) process.stderr.write('\nOptions: --quick, --only a,b, --set key=value, --out FILE, --list\n');
    return 0;
  }
  const only = (values.only ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((n) => !MODULES.some((m) => m.name === n));
  if (unknown.length) {
    process.stderr.write(`Unknown benchmark ${unknown.join(', ')}; known: ${MODULES.map((m) => m.name).join(', ')}\n`);
    return 2;
  }
  const overrides: Record<string, string> = {};
  for (const kv of values.set ?? []) {
    const at = kv.indexOf('=');
    if (at <= 0) {
      process.stderr.write(`--set expects key=value, got ${JSON.stringify(kv)}\n`);
      return 2;
    }
    overrides[kv.slice(0, at)] = kv.slice(at + 1);
  }
  const selected = only.length ? MODULES.filter((m) => only.includes(m.name)) : MODULES;

  const started = performance.now();
  const output: Record<string, unknown> = {
    benchmark: 'galen',
    quick: values.quick,
    ...(Object.keys(overrides).length ? { overrides } : {}),
    machine: machine(),
    git: gitRevision(),
    results: {} as Record<string, unknown>,
  };
  const results = output.results as Record<string, unknown>;
  let failed = false;
  for (const m of selected) {
    const options: BenchOptions = { quick: values.quick, overrides, log: makeLogger(m.name, started) };
    options.log('starting');
    try {
      results[m.name] = await m.run(options);
    } catch (error) {
      failed = true;
      options.log(`FAILED: ${(error as Error).stack ?? String(error)}`);
      results[m.name] = { error: (error as Error).message };
    }
  }
  output.durationS = round((performance.now() - started) / 1000, 1);
  output.maxRssMiB = maxRssMiB();
  const json = `${JSON.stringify(output, null, 2)}\n`;
  process.stdout.write(json);
  if (values.out) writeFileSync(values.out, json);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
