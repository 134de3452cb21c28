import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KnowledgeStore } from '../knowledge/index.js';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Shared read-only data (`../shared/data` beside the repository; `GALEN_SHARED_DATA` overrides). */
export const SHARED_DATA = process.env.GALEN_SHARED_DATA ? resolve(process.env.GALEN_SHARED_DATA) : resolve(ROOT, '..', 'shared', 'data');

/** Options every benchmark module receives. */
export interface BenchOptions {
  /** Smoke run: smaller workloads, same code paths. */
  quick: boolean;
  /** Module-specific overrides from the command line (`--set key=value`), e.g. `syntheticChunks=200000`. */
  overrides: Record<string, string>;
  /** Progress and diagnostics: written to stderr, never to the JSON on stdout. */
  log: (message: string) => void;
}

/** One benchmark: a name for `--only` and a run that resolves to a JSON-serialisable result. */
export interface BenchModule {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<Record<string, unknown>>;
}

/** Writes a progress line to stderr, prefixed with the elapsed time. */
export function makeLogger(prefix: string, started = performance.now()): (message: string) => void {
  return (message) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${prefix}: ${message}\n`);
}

/** A fresh temporary directory (under the OS temp dir) and a function that deletes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `value` rounded to `digits` decimals (as a number, for JSON). */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Rounds to about three significant figures: 0.01234 → 0.0123, 1234.5 → 1235. */
export function sig(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return round(value, digits);
}

export interface LatencyStats {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  minMs: number;
  totalS: number;
}

/** Nearest-rank percentiles of latencies in milliseconds. */
export function latencyStats(samples: readonly number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const pct = (p: number) => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!);
  const total = sorted.reduce((s, x) => s + x, 0);
  return {
    count: n,
    p50Ms: sig(pct(50)),
    p95Ms: sig(pct(95)),
    p99Ms: sig(pct(99)),
    meanMs: sig(n ? total / n : NaN),
    maxMs: sig(n ? sorted[n - 1]! : NaN),
    minMs: sig(n ? sorted[0]! : NaN),
    totalS: round(total / 1000, 2),
  };
}

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Peak resident set size of this process so far, in MiB. */
export function maxRssMiB(): number {
  // resourceUsage().maxRSS is in KiB.
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** The sources of the shared corpus (directories under `SHARED_DATA`), each ingested as its own source with format auto. */
export const CORPUS: ReadonlyArray<{ source: string; dir: string; license?: string; attribution?: string }> = [
  { source: 'medquad', dir: 'medquad' },
  { source: 'pubmedqa', dir: 'pubmedqa' },
  { source: 'chatdoctor', dir: 'chatdoctor' },
  { source: 'medicalgpt-zh', dir: 'medicalgpt-zh' },
  { source: 'wikipedia', dir: 'wiki', license: 'CC BY-SA 4.0', attribution: 'Wikipedia contributors' },
];

/** A `--set` override as a whole number (`1_000_000` allowed), or `fallback` when absent. */
export function intOption(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new Error(`Expected a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Sizes of the store's SQLite file and of its write-ahead log, in MB (0 for a missing file).
 *
 * @example
 * storeSize(store); // { fileMB: 2567.3, walMB: 0 }
 */
export function storeSize(store: Pick<KnowledgeStore, 'file'>): { fileMB: number; walMB: number } {
  const size = (f: string) => {
    try {
      return round(statSync(f).size / 1e6, 1);
    } catch {
      return 0;
    }
  };
  return { fileMB: size(store.file), walMB: size(`${store.file}-wal`) };
}

/** CPU seconds a process has used, all its threads (Linux /proc), or null elsewhere. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A loopback port free at the time of asking. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
