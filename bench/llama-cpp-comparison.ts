/**
 * Galen against llama.cpp (node-llama-cpp's prebuilt CPU binaries) on the same random checkpoint:
 * Galen's fp32 / int8 / int4 builds, in the plain and the fused layout, against GGUF F32 / Q8_0 /
 * Q4_0 files written from it, each engine in its own child process (so peak RSS is its own),
 * measured in turn (the order rotating each repeat), medians of repeats. The F32 file's
 * last-position logits are checked against Galen's plain fp32 graph first, and each fused build's
 * against that graph too.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { BUILDER_VERSION, exportGguf, openCheckpoint, resolveModelShape, type GgufFormat } from '../model/index.js';
import { ROOT, round } from './common.js';
import type { EngineKind, EngineReply, EngineRequest, EngineRun } from './generation-engine-process.js';

/** Galen's build and the GGUF format it is compared with. */
export const FORMAT_PAIRS = [
  { name: 'fp32', quantize: undefined, gguf: 'f32' },
  { name: 'int8', quantize: 'int8', gguf: 'q8_0' },
  { name: 'int4', quantize: 'int4', gguf: 'q4_0' },
] as const satisfies ReadonlyArray<{ name: string; quantize: 'int8' | 'int4' | undefined; gguf: GgufFormat }>;

/** The engines of one format: Galen's plain build, Galen's fused build, llama.cpp's GGUF file. */
export type ComparedEngine = 'galen' | 'galenFused' | 'llama.cpp';
const ENGINE_ORDER: readonly ComparedEngine[] = ['galen', 'galenFused', 'llama.cpp'];
const ENGINE_KIND: Record<ComparedEngine, EngineKind> = { galen: 'galen', galenFused: 'galen', 'llama.cpp': 'llama.cpp' };

/** Two graphs' last-position logits of the same ids: largest difference, it relative to the largest logit, same argmax. */
export interface LogitCheck {
  maxAbsDiff: number;
  relative: number;
  sameArgmax: boolean;
}

export interface ComparisonWorkload {
  threads: number;
  promptTokens: number;
  longPromptTokens: number;
  decodeTokens: number;
  streams: number[];
  repeats: number;
}

export interface EngineFigures {
  loadSeconds: number;
  peakRssMiB: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  /** Aggregate tokens/s per number of streams. */
  streams: Record<string, number>;
  longPromptTimeToFirstTokenMs?: number;
}

/** A child process running one engine. */
class EngineProcess {
  private readonly child: ChildProcess;
  private pending: ((reply: EngineReply) => void) | undefined;

  constructor() {
    this.child = fork(join(ROOT, 'bench', 'generation-engine-process.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: EngineReply) => this.pending?.(reply));
    this.child.on('exit', (code) => this.pending?.({ ok: false, error: `engine process exited (${code})` }));
  }

  async send(request: EngineRequest): Promise<Extract<EngineReply, { ok: true }>> {
    const reply = await new Promise<EngineReply>((resolve) => {
      this.pending = resolve;
      this.child.send(request);
    });
    this.pending = undefined;
    if (!reply.ok) throw new Error(reply.error);
    return reply;
  }

  close(): void {
    this.child.kill();
  }
}

/** The model files of one pair: Galen's directory (built by the caller) and the GGUF file (written here once). */
export function ensureGguf(shape: string, gguf: GgufFormat, tokenizer: string, log: (m: string) => void): string {
  const dir = join(os.tmpdir(), 'galen-bench-models');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${shape}-seed1-${gguf}-v${BUILDER_VERSION}.gguf`);
  if (existsSync(path)) return path;
  log(`writing ${path}`);
  const checkpoint = openCheckpoint({ random: { shape, seed: 1 } });
  try {
    exportGguf({ checkpoint, tokenizer, format: gguf, out: `${path}.tmp` });
  } finally {
    checkpoint.close();
  }
  renameSync(`${path}.tmp`, path);
  return path;
}

/** The last position's logits of `ids` (one prefill, empty cache) from a Galen build's ONNX graph, on onnxruntime. */
async function galenLastLogits(dir: string, shape: string, ids: number[], threads: number): Promise<Float32Array> {
  const arch = resolveModelShape(shape);
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), { intraOpNumThreads: threads });
  try {
    const n = ids.length;
    const int64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, n]);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(ids),
      attention_mask: int64(ids.map(() => 1)),
      position_ids: int64(ids.map((_, i) => i)),
    };
    for (let i = 0; i < arch.numLayers; i++)
      for (const kv of ['key', 'value'])
        feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, arch.numKeyValueHeads, 0, arch.headDim]);
    // A fused graph whose rotary is inside GroupQueryAttention takes no position_ids.
    const missing = session.inputNames.filter((name) => !(name in feeds));
    if (missing.length > 0) throw new Error(`${dir}: no feed for the graph inputs ${missing.join(', ')}`);
    const logits = (await session.run(Object.fromEntries(session.inputNames.map((name) => [name, feeds[name]!])), ['logits'])).logits!;
    const data = logits.data as Float32Array;
    return data.slice(data.length - arch.vocabSize);
  } finally {
    await session.release();
  }
}

function compareLogits(ours: ArrayLike<number>, theirs: ArrayLike<number>): LogitCheck {
  if (theirs.length !== ours.length) throw new Error(`logits of different lengths: ${theirs.length} and ${ours.length}`);
  let maxAbsDiff = 0;
  let largest = 0;
  for (let v = 0; v < ours.length; v++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ours[v]! - theirs[v]!));
    largest = Math.max(largest, Math.abs(ours[v]!));
  }
  const argmax = (xs: ArrayLike<number>) => {
    let best = 0;
    for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
    return best;
  };
  return { maxAbsDiff, relative: maxAbsDiff / largest, sameArgmax: argmax(ours) === argmax(theirs) };
}

/**
 * Galen's fp32 graph and llama.cpp's F32 file agree on the last position's logits of `ids`
 * (relative to the largest logit) and on its argmax; otherwise the comparison would time two different models.
 */
export async function checkF32Logits(
  galenDir: string,
  ggufPath: string,
  shape: string,
  ids: number[],
  threads: number,
): Promise<LogitCheck> {
  const ours = await galenLastLogits(galenDir, shape, ids, threads);
  const llama = new EngineProcess();
  let theirs: number[];
  try {
    await llama.send({ cmd: 'load', kind: 'llama.cpp', path: ggufPath, threads, maxStreams: 1, contextSize: ids.length + 8 });
    theirs = (await llama.send({ cmd: 'logits', ids })).logits!;
  } finally {
    llama.close();
  }
  if (theirs.length !== ours.length) throw new Error(`llama.cpp gave ${theirs.length} logits, Galen ${ours.length}`);
  return compareLogits(ours, theirs);
}

/**
 * A Galen build's last-position logits of `ids` against a reference build's (the plain fp32 one),
 * compared as {@link checkF32Logits} compares: a fused fp32 build should equal it; a quantised
 * build (either layout) differs by its quantisation error.
 */
export async function checkGalenLogits(
  dir: string,
  referenceDir: string,
  shape: string,
  ids: number[],
  threads: number,
): Promise<LogitCheck> {
  const reference = await galenLastLogits(referenceDir, shape, ids, threads);
  return compareLogits(reference, await galenLastLogits(dir, shape, ids, threads));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * The engines of one format (Galen plain, Galen fused, llama.cpp: those given a path) loaded in
 * their own processes and measured in turn, the order rotating each repeat: prefill (time to first
 * token of the bench prompt), decode at 1 stream, aggregate at each stream count, time to first
 * token of the long prompt; medians of `repeats`.
 */
export async function measurePair(
  paths: Partial<Record<ComparedEngine, string>>,
  prompt: number[],
  longPrompt: number[],
  w: ComparisonWorkload,
  log: (m: string) => void,
): Promise<Partial<Record<ComparedEngine, EngineFigures>>> {
  const kinds = ENGINE_ORDER.filter((k) => paths[k] !== undefined);
  const maxStreams = Math.max(...w.streams);
  const contextSize = Math.max(prompt.length, longPrompt.length) + w.decodeTokens + 8;
  const engines = {} as Record<ComparedEngine, EngineProcess>;
  const loads = {} as Record<ComparedEngine, number>;
  try {
    for (const kind of kinds) {
      engines[kind] = new EngineProcess();
      loads[kind] = (
        await engines[kind].send({ cmd: 'load', kind: ENGINE_KIND[kind], path: paths[kind]!, threads: w.threads, maxStreams, contextSize })
      ).loadSeconds!;
    }
    const run = async (kind: ComparedEngine, ids: number[], maxNewTokens: number, streams: number) => {
      const reply = await engines[kind].send({ cmd: 'run', ids, maxNewTokens, streams });
      return { runs: reply.runs as EngineRun[], seconds: reply.seconds! };
    };
    for (const kind of kinds) await run(kind, prompt, 4, 1); // warm-up
    const samples = Object.fromEntries(
      kinds.map((k) => [
        k,
        { prefill: [] as number[], decode: [] as number[], long: [] as number[], streams: {} as Record<string, number[]> },
      ]),
    ) as Record<ComparedEngine, { prefill: number[]; decode: number[]; long: number[]; streams: Record<string, number[]> }>;
    for (let i = 0; i < w.repeats; i++) {
      // Rotate who goes first, so a burst of load elsewhere does not always hit the same engine.
      const order = kinds.map((_, j) => kinds[(i + j) % kinds.length]!);
      for (const kind of order)
        samples[kind].prefill.push(prompt.length / ((await run(kind, prompt, 1, 1)).runs[0]!.timeToFirstTokenMs / 1000));
      for (const kind of order) samples[kind].decode.push((await run(kind, prompt, w.decodeTokens, 1)).runs[0]!.tokensPerSecond);
      for (const streams of w.streams.filter((s) => s > 1))
        for (const kind of order) {
          const { runs, seconds } = await run(kind, prompt, w.decodeTokens, streams);
          (samples[kind].streams[String(streams)] ??= []).push(runs.reduce((n, r) => n + r.tokens, 0) / seconds);
        }
      if (longPrompt.length > 0)
        for (const kind of order) samples[kind].long.push((await run(kind, longPrompt, 1, 1)).runs[0]!.timeToFirstTokenMs);
    }
    const figures: Partial<Record<ComparedEngine, EngineFigures>> = {};
    for (const kind of kinds) {
      const s = samples[kind];
      const decode = median(s.decode);
      figures[kind] = {
        loadSeconds: round(loads[kind], 2),
        peakRssMiB: (await engines[kind].send({ cmd: 'stats' })).peakRssMiB!,
        prefillTokensPerSecond: round(median(s.prefill), 1),
        decodeTokensPerSecond: round(decode, 1),
        streams: { '1': round(decode, 1), ...Object.fromEntries(Object.entries(s.streams).map(([n, v]) => [n, round(median(v), 1)])) },
        ...(s.long.length > 0 ? { longPromptTimeToFirstTokenMs: round(median(s.long), 0) } : {}),
      };
      log(`${kind}: ${JSON.stringify(figures[kind])}`);
    }
    return figures;
  } finally {
    for (const kind of kinds) engines[kind]?.close();
  }
}

/**
 * `g` ÷ `l` per figure (Galen ÷ llama.cpp, or fused ÷ plain): throughputs, RSS (`g`'s ÷ `l`'s),
 * TTFT (`l`'s ÷ `g`'s, so > 1 is `g` faster).
 */
export function pairRatios(g: EngineFigures, l: EngineFigures): Record<string, number> {
  return {
    prefill: round(g.prefillTokensPerSecond / l.prefillTokensPerSecond, 2),
    decode: round(g.decodeTokensPerSecond / l.decodeTokensPerSecond, 2),
    ...Object.fromEntries(Object.keys(g.streams).map((n) => [`streams${n}`, round(g.streams[n]! / l.streams[n]!, 2)])),
    ...(g.longPromptTimeToFirstTokenMs && l.longPromptTimeToFirstTokenMs
      ? { longPromptTimeToFirstToken: round(l.longPromptTimeToFirstTokenMs / g.longPromptTimeToFirstTokenMs, 2) }
      : {}),
    rss: round(g.peakRssMiB / l.peakRssMiB, 2),
  };
}

/**
 * What one format gave: each engine's figures, the fused build's last-position logits against the
 * plain fp32 build's and, for a quantised format, the plain build's against them too (its own
 * quantisation error, the yardstick for the fused one's).
 */
export interface FormatMeasurement {
  figures: Partial<Record<ComparedEngine, EngineFigures>>;
  fusedLogitCheck?: LogitCheck & { against: string };
  plainLogitCheck?: LogitCheck & { against: string };
  /** Why the fused build of this format was not timed. */
  fusedSkipped?: string;
}

/**
 * The summary block: Galen ÷ llama.cpp, best format against best format (each engine's best
 * figure over its formats; for RSS the smallest); the plain layout's at the top level, the fused
 * layout's under `fused`. Per format: the figures, `ratios` (plain ÷ llama.cpp), `fusedRatios`
 * (fused ÷ llama.cpp), `fusedVsPlain` (fused ÷ plain).
 */
export function summarize(formats: Record<string, FormatMeasurement>, topStreams: string): Record<string, unknown> {
  const all = Object.values(formats).map((m) => m.figures);
  const best = (kind: ComparedEngine, figure: (f: EngineFigures) => number | undefined, pick: (...xs: number[]) => number) =>
    pick(...all.map((f) => (f[kind] ? figure(f[kind]) : undefined)).filter((v): v is number => v !== undefined));
  const bestRatios = (kind: ComparedEngine) => {
    const ratio = (figure: (f: EngineFigures) => number | undefined, pick = Math.max) =>
      round(best(kind, figure, pick) / best('llama.cpp', figure, pick), 2);
    return {
      bestDecodeRatio: ratio((f) => f.decodeTokensPerSecond),
      bestPrefillRatio: ratio((f) => f.prefillTokensPerSecond),
      bestStreams16Ratio: ratio((f) => f.streams[topStreams]),
      rssRatio: ratio((f) => f.peakRssMiB, Math.min),
    };
  };
  const has = (kind: ComparedEngine) => all.some((f) => f[kind] !== undefined);
  return {
    ...(has('galen') ? bestRatios('galen') : {}),
    ...(has('galenFused') ? { fused: bestRatios('galenFused') } : {}),
    formats: Object.fromEntries(
      Object.entries(formats).map(([name, { figures: f, ...checks }]) => {
        const llama = f['llama.cpp']!;
        return [
          name,
          {
            ...f,
            ...(f.galen ? { ratios: pairRatios(f.galen, llama) } : {}),
            ...(f.galenFused ? { fusedRatios: pairRatios(f.galenFused, llama) } : {}),
            ...(f.galen && f.galenFused ? { fusedVsPlain: pairRatios(f.galenFused, f.galen) } : {}),
            ...checks,
          },
        ];
      }),
    ),
  };
}
