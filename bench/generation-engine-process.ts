/**
 * A child process holding one generation engine (Galen on a model directory, or llama.cpp through
 * node-llama-cpp on a GGUF file), driven over IPC by `llama-cpp-comparison.ts`, so each engine's
 * peak RSS is its own. Messages: `load`, `run` (concurrent greedy generations), `logits` (llama.cpp
 * only: the last position's logits of a prompt), `stats`; each gets one reply.
 */
import { loadLanguageModel, type OnnxLanguageModel } from '../model/index.js';

export type EngineKind = 'galen' | 'llama.cpp';

export type EngineRequest =
  | { cmd: 'load'; kind: EngineKind; path: string; threads: number; maxStreams: number; contextSize: number }
  | { cmd: 'run'; ids: number[]; maxNewTokens: number; streams: number }
  | { cmd: 'logits'; ids: number[] }
  | { cmd: 'stats' };

/** One generation as the engine saw it. */
export interface EngineRun {
  tokens: number;
  timeToFirstTokenMs: number;
  /** Tokens/s after the first. */
  tokensPerSecond: number;
}

export type EngineReply =
  | { ok: true; loadSeconds?: number; runs?: EngineRun[]; seconds?: number; logits?: number[]; peakRssMiB?: number }
  | { ok: false; error: string };

interface Engine {
  generate(ids: number[], maxNewTokens: number): Promise<EngineRun>;
  logits(ids: number[]): Promise<number[]>;
}

async function galen(path: string, threads: number, maxStreams: number): Promise<Engine> {
  const model: OnnxLanguageModel = await loadLanguageModel(path, { maxBatchSize: maxStreams, intraOpThreads: threads });
  return {
    generate: async (ids, maxNewTokens) => {
      const r = await model.generate({ tokenIds: ids }, { maxNewTokens, temperature: 0 });
      return { tokens: r.tokens.length, timeToFirstTokenMs: r.timeToFirstTokenMs, tokensPerSecond: r.tokensPerSecond };
    },
    logits: () => Promise.reject(new Error('Galen logits are read in the parent')),
  };
}

async function llamaCpp(path: string, threads: number, maxStreams: number, contextSize: number): Promise<Engine> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  type Token = import('node-llama-cpp').Token;
  // build: 'never' — the prebuilt CPU binaries of the package, no download or compile.
  const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error, maxThreads: threads });
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize, sequences: maxStreams, threads });
  return {
    generate: async (ids, maxNewTokens) => {
      const sequence = context.getSequence();
      try {
        const times: number[] = [];
        const begun = performance.now();
        for await (const _ of sequence.evaluate(ids as unknown as Token[], { temperature: 0 })) {
          times.push(performance.now());
          if (times.length === maxNewTokens) break;
        }
        const decodeSeconds = (times.at(-1)! - times[0]!) / 1000;
        return {
          tokens: times.length,
          timeToFirstTokenMs: times[0]! - begun,
          tokensPerSecond: times.length >= 2 ? (times.length - 1) / decodeSeconds : 0,
        };
      } finally {
        sequence.dispose();
      }
    },
    logits: async (ids) => {
      const sequence = context.getSequence();
      try {
        const tokens = ids as unknown as Token[];
        const out = await sequence.controlledEvaluate([...tokens.slice(0, -1), [tokens.at(-1)!, { generateNext: { logits: true } }]]);
        const map = out.at(-1)!.next!.logits!;
        return Array.from({ length: map.size }, (_, v) => map.get(v as unknown as Token) ?? Number.NaN);
      } finally {
        sequence.dispose();
      }
    },
  };
}

let engine: Engine | undefined;

async function handle(request: EngineRequest): Promise<EngineReply> {
  if (request.cmd === 'load') {
    const started = performance.now();
    engine =
      request.kind === 'galen'
        ? await galen(request.path, request.threads, request.maxStreams)
        : await llamaCpp(request.path, request.threads, request.maxStreams, request.contextSize);
    return { ok: true, loadSeconds: (performance.now() - started) / 1000, peakRssMiB: peakRssMiB() };
  }
  if (request.cmd === 'stats') return { ok: true, peakRssMiB: peakRssMiB() };
  if (!engine) throw new Error('no engine loaded');
  if (request.cmd === 'logits') return { ok: true, logits: await engine.logits(request.ids) };
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: request.streams }, () => engine!.generate(request.ids, request.maxNewTokens)));
  return { ok: true, runs, seconds: (performance.now() - started) / 1000 };
}

function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

process.on('message', (request: EngineRequest) => {
  handle(request).then(
    (reply) => process.send!(reply),
    (error: unknown) => process.send!({ ok: false, error: (error as Error).stack ?? String(error) }),
  );
});
