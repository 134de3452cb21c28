/**
 * Generation speed: Galen's generator against the `@huggingface/transformers` (transformers.js)
 * peer on the very same ONNX file, random-weight models of real shapes (SmolLM2-135M; also
 * TinyLlama-1.1B unless --quick or short of memory), same prompt ids, greedy, onnxruntime-node on
 * CPU with its default threads for both, measured alternately in one process. Measures prefill tokens/s, time to first token, decode
 * tokens/s at batch 1, and aggregate tokens/s with 1, 4 and 16 concurrent streams (16 independent
 * requests in flight: Galen batches them, the peer runs them as concurrent generate calls).
 *
 * Models are built once into `<tmp>/galen-bench-models/<shape>[-int8|-int4]-<layout>-seed1-v<builder
 * version>` and reused by later runs. `--set genShapes=smollm2-135m,tinyllama-1.1b`,
 * `--set decodeTokens=N`, `--set promptTokens=N`, `--set longPromptTokens=N` (a RAG-sized prompt
 * whose time to first token is measured too; 0 skips it), `--set streams=1,4,16` override the
 * workload; `--set threads=N` gives both engines N onnxruntime intra-op threads (default:
 * onnxruntime's choice, one per core);
 * `--set quantize=int8|int4` benchmarks a weight-quantised build instead of fp32;
 * `--set kvOutputs=present` runs Galen fetching the whole `present.*` each step (default `new`:
 * only the new keys and values), to see what that costs.
 *
 * Then the llama.cpp peer (node-llama-cpp's prebuilt CPU binaries) on the first shape: Galen's
 * fp32/int8/int4 builds, in the plain and the fused layout (`--layout`), against GGUF
 * F32/Q8_0/Q4_0 files written from the same checkpoint, each engine in its own process, in turn,
 * after checking the F32 file's logits against Galen's plain fp32 graph and each fused build's
 * (and each quantised plain build's) against that graph too; prefill, decode at each stream
 * count, time to first token of a 1,024-token prompt, load time and peak RSS per engine (figures
 * per format: `galen`, `galenFused`, `llama.cpp`; `ratios`, `fusedRatios`, `fusedVsPlain`;
 * `fusedLogitCheck`, `plainLogitCheck`), and the `llamaCpp` summary
 * (Galen ÷ llama.cpp, best format against best: the plain layout's at the top, the fused layout's
 * under `fused`). All get `threads` (default: every core). `--set llamaCpp=0` skips it (and
 * `--set transformersJs=0` the transformers.js part),
 * `--set llamaFormats=fp32,int8,int4` picks pairs, `--set layouts=plain,fused` Galen's layouts
 * (default both), `--set llamaRepeats=N` (default 5, --quick 2).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { BUILDER_VERSION, buildModel, loadLanguageModel, resolveModelShape } from '../model/index.js';
import { maxRssMiB, ROOT, round, seededRandom, type BenchModule, type BenchOptions } from './common.js';
import {
  checkF32Logits,
  checkGalenLogits,
  ensureGguf,
  FORMAT_PAIRS,
  measurePair,
  summarize,
  type ComparedEngine,
  type ComparisonWorkload,
  type FormatMeasurement,
} from './llama-cpp-comparison.js';

const TOKENIZER = join(ROOT, '..', 'shared', 'models', 'tokenizers', 'smollm');
const TARGETS = { decodeBatch1: 1.3, aggregate16: 3 };
/** TinyLlama fp32 is 4.4 GB; both engines' sessions and KV caches need about this much free. */
const TINYLLAMA_MIN_MEMORY = 12 * 2 ** 30;

interface Workload {
  /** onnxruntime intra-op threads for both engines; undefined = onnxruntime's default. */
  threads: number | undefined;
  quantize: 'int8' | 'int4' | undefined;
  /** Galen's `kvOutputs` load option. */
  kvOutputs: 'new' | 'present';
  promptTokens: number;
  /** A long (RAG-sized) prompt, timed to its first token; 0: not measured. */
  longPromptTokens: number;
  decodeTokens: number;
  streams: number[];
  repeats: number;
}

interface EngineResult {
  loadSeconds: number;
  /** The process's peak RSS once the engine is loaded (Galen loads first, so its figure is its own). */
  loadPeakRssMiB: number;
  prefill: { tokens: number; tokensPerSecond: number; timeToFirstTokenMs: number };
  longPrompt?: { tokens: number; tokensPerSecond: number; timeToFirstTokenMs: number };
  decodeBatch1: { tokens: number; tokensPerSecond: number; timeToFirstTokenMs: number };
  aggregate: Record<string, { streams: number; tokens: number; seconds: number; tokensPerSecond: number }>;
}

export const generationBench: BenchModule = {
  name: 'generation',
  description: 'Generator speed vs transformers.js on the same ONNX: prefill, TTFT, decode tokens/s, aggregate with 1/4/16 streams',
  run: runGenerationBench,
};

async function runGenerationBench(options: BenchOptions): Promise<Record<string, unknown>> {
  const { log, overrides, quick } = options;
  const shapes = overrides.genShapes?.split(',') ?? (quick ? ['smollm2-135m'] : ['smollm2-135m', 'tinyllama-1.1b']);
  const results: Record<string, unknown> = {};
  for (const shape of overrides.transformersJs === '0' ? [] : shapes) {
    if (shape === 'tinyllama-1.1b' && os.freemem() < TINYLLAMA_MIN_MEMORY) {
      results[shape] = {
        skipped: `needs ${TINYLLAMA_MIN_MEMORY / 2 ** 30} GiB of free memory, the machine has ${round(os.freemem() / 2 ** 30, 1)}`,
      };
      continue;
    }
    const big = shape === 'tinyllama-1.1b';
    const workload: Workload = {
      threads: overrides.threads === undefined ? undefined : intOption(overrides.threads, 1),
      quantize: overrides.quantize === 'int8' || overrides.quantize === 'int4' ? overrides.quantize : undefined,
      kvOutputs: overrides.kvOutputs === 'present' ? 'present' : 'new',
      promptTokens: intOption(overrides.promptTokens, quick ? 32 : 128),
      longPromptTokens: overrides.longPromptTokens === '0' ? 0 : intOption(overrides.longPromptTokens, quick ? 0 : 1024),
      decodeTokens: intOption(overrides.decodeTokens, quick ? 16 : big ? 32 : 64),
      streams: overrides.streams?.split(',').map(Number) ?? [1, 4, 16],
      repeats: quick ? 2 : 3,
    };
    const dir = await ensureBenchModel(shape, workload.quantize, 'plain', log);
    const vocab = resolveModelShape(shape).vocabSize;
    const prompt = promptIds(workload.promptTokens, vocab);
    const longPrompt = workload.longPromptTokens > 0 ? promptIds(workload.longPromptTokens, vocab) : [];
    log(
      `${shape}: Galen and the transformers.js peer, prompt ${workload.promptTokens} tokens, ${workload.decodeTokens} new tokens, streams ${workload.streams.join('/')}`,
    );
    const { galen, peer } = await measureBoth(dir, prompt, longPrompt, workload, log);
    const ratio = (a: number, b: number) => round(a / b, 2);
    const top = String(Math.max(...workload.streams));
    const ratios: Record<string, number> = {
      prefill: ratio(galen.prefill.tokensPerSecond, peer.prefill.tokensPerSecond),
      ...(galen.longPrompt && peer.longPrompt
        ? { longPrompt: ratio(galen.longPrompt.tokensPerSecond, peer.longPrompt.tokensPerSecond) }
        : {}),
      decodeBatch1: ratio(galen.decodeBatch1.tokensPerSecond, peer.decodeBatch1.tokensPerSecond),
      [`aggregate${top}`]: ratio(galen.aggregate[top]!.tokensPerSecond, peer.aggregate[top]!.tokensPerSecond),
    };
    results[shape] = {
      model: dir,
      workload,
      galen,
      peer,
      ratios,
      targets: TARGETS,
      met: {
        decodeBatch1: ratios['decodeBatch1']! >= TARGETS.decodeBatch1,
        ...(top === '16' ? { aggregate16: ratios['aggregate16']! >= TARGETS.aggregate16 } : {}),
      },
    };
    log(`${shape}: ratios ${JSON.stringify(ratios)}`);
  }
  const llamaCpp = overrides.llamaCpp === '0' ? undefined : await compareWithLlamaCpp(shapes[0]!, options);
  return { cpus: os.cpus().length, executionProvider: 'cpu', shapes: results, ...(llamaCpp ? { llamaCpp } : {}) };
}

/**
 * The llama.cpp peer on the first shape: Galen's fp32/int8/int4 builds (plain and fused layouts)
 * against GGUF F32/Q8_0/Q4_0 files of the same checkpoint (see `llama-cpp-comparison.ts`), after
 * checking the F32 logits and each fused build's against the plain fp32 build's.
 */
async function compareWithLlamaCpp(shape: string, options: BenchOptions): Promise<Record<string, unknown>> {
  const { log, overrides, quick } = options;
  const w: ComparisonWorkload = {
    threads: overrides.threads === undefined ? os.availableParallelism() : intOption(overrides.threads, 1),
    promptTokens: intOption(overrides.promptTokens, quick ? 64 : 128),
    longPromptTokens: overrides.longPromptTokens === '0' ? 0 : intOption(overrides.longPromptTokens, 1024),
    decodeTokens: intOption(overrides.decodeTokens, quick ? 32 : 64),
    streams: overrides.streams?.split(',').map(Number) ?? [1, 4, 16],
    repeats: intOption(overrides.llamaRepeats, quick ? 2 : 5),
  };
  const wanted = overrides.llamaFormats?.split(',') ?? FORMAT_PAIRS.map((p) => p.name);
  const layouts = overrides.layouts?.split(',') ?? ['plain', 'fused'];
  for (const l of layouts)
    if (l !== 'plain' && l !== 'fused') throw new Error(`layouts: expected plain and/or fused, got ${JSON.stringify(l)}`);
  if (layouts.length === 0) throw new Error('layouts: name at least one of plain, fused');
  const vocab = resolveModelShape(shape).vocabSize;
  const prompt = promptIds(w.promptTokens, vocab);
  const longPrompt = w.longPromptTokens > 0 ? promptIds(w.longPromptTokens, vocab) : [];
  const formats: Record<string, FormatMeasurement> = {};
  let logitCheck: Awaited<ReturnType<typeof checkF32Logits>> | undefined;
  for (const pair of FORMAT_PAIRS.filter((p) => wanted.includes(p.name))) {
    // The plain build is the reference of the fused one's logits, so it is built even when not timed.
    const plainDir = await ensureBenchModel(shape, pair.quantize, 'plain', log);
    const gguf = ensureGguf(shape, pair.gguf, TOKENIZER, log);
    if (pair.gguf === 'f32' && layouts.includes('plain')) {
      logitCheck = await checkF32Logits(plainDir, gguf, shape, prompt, w.threads);
      log(`F32 logits against Galen fp32: ${JSON.stringify(logitCheck)}`);
      if (!logitCheck.sameArgmax || logitCheck.relative > 0.01)
        throw new Error(`llama.cpp's F32 file and Galen's fp32 build disagree (${JSON.stringify(logitCheck)}): not timing them`);
    }
    const paths: Partial<Record<ComparedEngine, string>> = { ...(layouts.includes('plain') ? { galen: plainDir } : {}), 'llama.cpp': gguf };
    const measurement: Omit<FormatMeasurement, 'figures'> = {};
    if (layouts.includes('fused')) {
      const fusedDir = await ensureBenchModel(shape, pair.quantize, 'fused', log);
      const referenceDir = pair.quantize ? await ensureBenchModel(shape, undefined, 'plain', log) : plainDir;
      const check = await checkGalenLogits(fusedDir, referenceDir, shape, prompt, w.threads);
      measurement.fusedLogitCheck = { ...check, against: 'plain fp32' };
      log(`${pair.name} fused logits against plain fp32: ${JSON.stringify(check)}`);
      if (pair.quantize) {
        measurement.plainLogitCheck = {
          ...(await checkGalenLogits(plainDir, referenceDir, shape, prompt, w.threads)),
          against: 'plain fp32',
        };
        log(`${pair.name} plain logits against plain fp32: ${JSON.stringify(measurement.plainLogitCheck)}`);
      }
      // fp32 fused must be the plain graph's model; a quantised build is not claimed exact (its
      // int8 activations amplify the layouts' last-bit differences), so its check is reported only.
      if (pair.quantize || (check.sameArgmax && check.relative <= 0.01)) paths.galenFused = fusedDir;
      else {
        measurement.fusedSkipped = `its logits disagree with the plain fp32 build's (${JSON.stringify(check)})`;
        log(`not timing the fused ${pair.name} build: ${measurement.fusedSkipped}`);
      }
    }
    log(
      `${shape} ${pair.name} (${Object.keys(paths).join(', ')}) vs llama.cpp ${pair.gguf}: prompt ${w.promptTokens}, ${w.decodeTokens} new tokens, ${w.threads} threads`,
    );
    formats[`${pair.name}/${pair.gguf}`] = { figures: await measurePair(paths, prompt, longPrompt, w, log), ...measurement };
  }
  const summary = summarize(formats, String(Math.max(...w.streams)));
  log(`llama.cpp summary: ${JSON.stringify({ ...summary, formats: undefined })}`);
  return { shape, workload: w, layouts, ...(logitCheck ? { f32LogitCheck: logitCheck } : {}), ...summary };
}

/** Builds (once) a seeded random model of `shape` under the OS temp dir, keyed by format and layout. */
async function ensureBenchModel(
  shape: string,
  quantize: Workload['quantize'],
  layout: 'plain' | 'fused',
  log: (m: string) => void,
): Promise<string> {
  const dir = join(os.tmpdir(), 'galen-bench-models', `${shape}${quantize ? `-${quantize}` : ''}-${layout}-seed1-v${BUILDER_VERSION}`);
  if (existsSync(join(dir, 'build.json'))) {
    log(`reusing ${dir}`);
    return dir;
  }
  log(`building random ${shape} into ${dir}`);
  const report = await buildModel({
    random: { shape, seed: 1 },
    tokenizer: TOKENIZER,
    out: dir,
    layout,
    ...(quantize ? { quantize } : {}),
  });
  log(`built in ${report.seconds.toFixed(1)} s`);
  return dir;
}

/** BOS then seeded ids below the model's (and the tokenizer's) vocabulary. */
function promptIds(length: number, vocab: number): number[] {
  const random = seededRandom(42);
  return [1, ...Array.from({ length: length - 1 }, () => 3 + Math.floor(random() * (Math.min(vocab, 49152) - 3)))];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** One generation: tokens produced, time to the first, decode rate after it. */
interface Run {
  tokens: number;
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
}

/** An engine under test, loaded once. */
interface Engine {
  loadSeconds: number;
  loadPeakRssMiB: number;
  /** Generates from the bench prompt, or from `ids`. */
  run(maxNewTokens: number, ids?: number[]): Promise<Run>;
  close(): Promise<void>;
}

async function galenEngine(dir: string, prompt: number[], w: Workload): Promise<Engine> {
  const started = performance.now();
  const model = await loadLanguageModel(dir, {
    maxBatchSize: Math.max(...w.streams),
    kvOutputs: w.kvOutputs,
    ...(w.threads ? { intraOpThreads: w.threads } : {}),
  });
  return {
    loadSeconds: (performance.now() - started) / 1000,
    loadPeakRssMiB: maxRssMiB(),
    run: async (maxNewTokens, ids = prompt) => {
      const r = await model.generate({ tokenIds: ids }, { maxNewTokens, temperature: 0 });
      return { tokens: r.tokens.length, timeToFirstTokenMs: r.timeToFirstTokenMs, tokensPerSecond: r.tokensPerSecond };
    },
    close: () => model.close(),
  };
}

async function peerEngine(dir: string, prompt: number[], w: Workload): Promise<Engine> {
  const { env, AutoModelForCausalLM, Tensor } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(dir)}/`;
  const started = performance.now();
  const model = await AutoModelForCausalLM.from_pretrained(basename(dir), {
    dtype: 'fp32',
    device: 'cpu',
    session_options: { graphOptimizationLevel: 'all', ...(w.threads ? { intraOpNumThreads: w.threads } : {}) },
  });
  const loadSeconds = (performance.now() - started) / 1000;
  const tensors = (ids: number[]) => ({
    inputIds: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attentionMask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  });
  const benchPrompt = tensors(prompt);
  return {
    loadSeconds,
    loadPeakRssMiB: maxRssMiB(),
    // Token times come from a streamer; its first put is the prompt.
    run: async (maxNewTokens, ids) => {
      const { inputIds, attentionMask } = ids ? tensors(ids) : benchPrompt;
      const times: number[] = [];
      const begun = performance.now();
      const streamer = { put: () => times.push(performance.now()), end: () => undefined };
      await model.generate({
        input_ids: inputIds,
        attention_mask: attentionMask,
        max_new_tokens: maxNewTokens,
        min_new_tokens: maxNewTokens,
        do_sample: false,
        streamer,
      } as unknown as Parameters<typeof model.generate>[0]);
      const tokenTimes = times.slice(1);
      const decodeSeconds = (tokenTimes[tokenTimes.length - 1]! - tokenTimes[0]!) / 1000;
      return {
        tokens: tokenTimes.length,
        timeToFirstTokenMs: tokenTimes[0]! - begun,
        tokensPerSecond: tokenTimes.length >= 2 ? (tokenTimes.length - 1) / decodeSeconds : 0,
      };
    },
    close: async () => {
      await model.dispose();
    },
  };
}

/**
 * Both engines loaded side by side and measured alternately (Galen, peer, Galen, …), so load
 * from other processes on the machine falls on both alike; medians of `repeats` runs.
 */
async function measureBoth(
  dir: string,
  prompt: number[],
  longPrompt: number[],
  w: Workload,
  log: (m: string) => void,
): Promise<{ galen: EngineResult; peer: EngineResult }> {
  const engines = { galen: await galenEngine(dir, prompt, w), peer: await peerEngine(dir, prompt, w) };
  const names = ['galen', 'peer'] as const;
  try {
    for (const n of names) await engines[n].run(4);
    const prefill = { galen: [] as number[], peer: [] as number[] };
    const longPrefill = { galen: [] as number[], peer: [] as number[] };
    const decode = { galen: [] as Run[], peer: [] as Run[] };
    for (let i = 0; i < w.repeats; i++) {
      for (const n of names) prefill[n].push((await engines[n].run(1)).timeToFirstTokenMs);
      for (const n of names) decode[n].push(await engines[n].run(w.decodeTokens));
      if (longPrompt.length > 0) for (const n of names) longPrefill[n].push((await engines[n].run(1, longPrompt)).timeToFirstTokenMs);
    }
    if (longPrompt.length > 0)
      log(
        `${longPrompt.length}-token prompt, time to first token: galen ${round(median(longPrefill.galen), 0)} ms, peer ${round(median(longPrefill.peer), 0)} ms`,
      );
    const aggregate = { galen: {} as EngineResult['aggregate'], peer: {} as EngineResult['aggregate'] };
    for (const streams of w.streams) {
      for (const n of streams % 2 ? names : ([...names].reverse() as Array<(typeof names)[number]>)) {
        const started = performance.now();
        const runs = await Promise.all(Array.from({ length: streams }, () => engines[n].run(w.decodeTokens)));
        const seconds = (performance.now() - started) / 1000;
        const tokens = runs.reduce((s, r) => s + r.tokens, 0);
        aggregate[n][String(streams)] = { streams, tokens, seconds: round(seconds, 2), tokensPerSecond: round(tokens / seconds, 1) };
        log(`${n} ${streams} streams: ${aggregate[n][String(streams)]!.tokensPerSecond} tokens/s`);
      }
    }
    const result = (n: (typeof names)[number]): EngineResult => {
      const ttft = median(prefill[n]);
      const longTtft = longPrompt.length > 0 ? median(longPrefill[n]) : 0;
      const mid = [...decode[n]].sort((a, b) => a.tokensPerSecond - b.tokensPerSecond)[Math.floor(decode[n].length / 2)]!;
      return {
        loadSeconds: round(engines[n].loadSeconds, 2),
        loadPeakRssMiB: engines[n].loadPeakRssMiB,
        prefill: { tokens: prompt.length, tokensPerSecond: round(prompt.length / (ttft / 1000), 1), timeToFirstTokenMs: round(ttft, 1) },
        ...(longTtft
          ? {
              longPrompt: {
                tokens: longPrompt.length,
                tokensPerSecond: round(longPrompt.length / (longTtft / 1000), 1),
                timeToFirstTokenMs: round(longTtft, 1),
              },
            }
          : {}),
        decodeBatch1: {
          tokens: mid.tokens,
          tokensPerSecond: round(mid.tokensPerSecond, 1),
          timeToFirstTokenMs: round(mid.timeToFirstTokenMs, 1),
        },
        aggregate: aggregate[n],
      };
    };
    return { galen: result('galen'), peer: result('peer') };
  } finally {
    for (const n of names) await engines[n].close();
  }
}

function intOption(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}
