import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeDirectoryAtomically } from './atomic-directory.js';
import type { Checkpoint } from './checkpoint.js';
import { ModelBuildError } from './errors.js';
import { openHuggingFaceCheckpoint } from './huggingface-checkpoint.js';
import { toHuggingFaceConfig, type LlamaArchitecture } from './llama-architecture.js';
import { buildLlamaGraph, llamaGraphOpsets, type GraphDtype, type GraphLayout, type ScaledAdapter } from './llama-graph.js';
import { openLlama2cCheckpoint } from './llama2c-checkpoint.js';
import { openLoraAdapter, validateLoraAdapter, type LoraAdapter } from './lora-adapter.js';
import { resolveModelShape } from './model-shapes.js';
import { writeOnnxModel } from './onnx-model-writer.js';
import { randomCheckpoint } from './random-checkpoint.js';
import type { WeightQuantization } from './weight-quantizer.js';

/** Bumped when the graph or the files written change, so cached builds are redone. */
export const BUILDER_VERSION = 3;

/** Tokenizer files copied into a built model when present. */
/** Tokenizer files copied into every build (when present), and hashed into the merged-model cache key. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
];

/** Options of {@link buildModel}. `from` or `random` is required. */
export interface BuildModelOptions {
  /**
   * The checkpoint: a Hugging Face folder (`config.json` + `model.safetensors` or shards + index),
   * one `.safetensors` file, or a llama2c `.bin`.
   */
  from?: string;
  /** Instead of `from`: random weights of a real architecture (a name of `MODEL_SHAPES` or a config.json path). */
  random?: { shape: string; seed?: number };
  /** Folder with `tokenizer.json` etc. Default: the checkpoint's folder (required for `random`). */
  tokenizer?: string;
  /** PEFT LoRA adapter folders, merged in order. Default none. */
  adapters?: readonly string[];
  /** Factor on each adapter's alpha/r: one number for all, or one per adapter. Default `1`. */
  loraScale?: number | readonly number[];
  /** Element type of the graph. Default `fp32`. */
  dtype?: GraphDtype;
  /**
   * Weight-only quantisation of the projections, the head (`MatMulNBits`, blocks of 32) and the
   * embedding table (`GatherBlockQuantized` over the same blocks; one table when tied). Default none.
   */
  quantize?: WeightQuantization;
  /**
   * Operator layout: `plain` (ONNX ops only, any runtime) or `fused` (onnxruntime's
   * GroupQueryAttention with rotary inside and Skip/SimplifiedLayerNormalization, as
   * onnxruntime-genai writes; onnxruntime only). Default `plain`.
   */
  layout?: GraphLayout;
  /** The model directory to write (atomically). */
  out: string;
  /** Replace `out` if it exists. Default `false`. */
  overwrite?: boolean;
  /**
   * Weights in `onnx/model.onnx_data` (memory-mapped by onnxruntime at load): `auto` (when they pass
   * 64 MiB), `always`, `never` (up to protobuf's 2 GiB). Default `auto`.
   */
  externalData?: 'auto' | 'always' | 'never';
  /** Cancels the build between weights; nothing is written (`ABORTED`). */
  signal?: AbortSignal;
  /** Progress: bytes of weights written so far and in all. */
  onProgress?: (progress: BuildProgress) => void;
  /** Non-fatal findings (e.g. a tokenizer larger than the vocabulary). Default: ignored. */
  onWarning?: (message: string) => void;
}

/** One progress report of a build. */
export interface BuildProgress {
  stage: 'weights';
  doneBytes: number;
  totalBytes: number;
  tensor: string;
}

/** What a build wrote. */
export interface BuildReport {
  out: string;
  source: string;
  architecture: LlamaArchitecture;
  dtype: GraphDtype;
  quantize: WeightQuantization | undefined;
  layout: GraphLayout;
  adapters: Array<{ path: string; modules: number; factor: number }>;
  weightBytes: number;
  externalData: boolean;
  seconds: number;
}

/**
 * Builds a model directory the generator loads (`config.json`, `generation_config.json`,
 * tokenizer files, `onnx/model.onnx` [+ `model.onnx_data`], `build.json`) from a LLaMA checkpoint,
 * with LoRA adapters merged (W' = W + factor · alpha/r · B·A). Everything is validated before a
 * byte is written, weights are streamed one tensor at a time, and the directory appears only
 * when complete. Errors are {@link ModelBuildError}s.
 *
 * @example
 * await buildModel({ from: '../shared/models/stories260k', adapters: ['../shared/models/stories260k/lora-test'], out: 'models/stories-lora' });
 */
export async function buildModel(options: BuildModelOptions): Promise<BuildReport> {
  const started = performance.now();
  const dtype = options.dtype ?? 'fp32';
  if (dtype !== 'fp32' && dtype !== 'fp16')
    throw new ModelBuildError('INVALID_OPTIONS', `dtype must be fp32 or fp16 (got ${JSON.stringify(dtype)})`);
  if (options.quantize !== undefined && options.quantize !== 'int8' && options.quantize !== 'int4')
    throw new ModelBuildError('INVALID_OPTIONS', `quantize must be int8 or int4 (got ${JSON.stringify(options.quantize)})`);
  const layout = options.layout ?? 'plain';
  if (layout !== 'plain' && layout !== 'fused')
    throw new ModelBuildError('INVALID_OPTIONS', `layout must be plain or fused (got ${JSON.stringify(layout)})`);
  if ((options.from === undefined) === (options.random === undefined))
    throw new ModelBuildError('INVALID_OPTIONS', 'give exactly one of from (a checkpoint) and random (a shape)');
  const paths = options.adapters ?? [];
  const factors = resolveFactors(options.loraScale, paths.length);

  const checkpoint = openCheckpoint(options);
  const adapters: LoraAdapter[] = [];
  try {
    const tokenizerDir = resolveTokenizerDir(options, checkpoint);
    for (const p of paths) {
      const adapter = openLoraAdapter(p);
      adapters.push(adapter);
      validateLoraAdapter(adapter, checkpoint);
      if (adapter.config.fanInFanOut)
        options.onWarning?.(
          `${adapter.path}: fan_in_fan_out is set, but LLaMA projections are nn.Linear, for which PEFT ignores it; merged untransposed`,
        );
    }
    checkTokenizer(tokenizerDir, checkpoint.architecture, options.onWarning);
    const scaled: ScaledAdapter[] = adapters.map((adapter, i) => ({ adapter, factor: factors[i]! }));
    return await writeDirectoryAtomically(
      options.out,
      async (staging) => {
        mkdirSync(join(staging, 'onnx'));
        const graph = buildLlamaGraph({
          checkpoint,
          adapters: scaled,
          dtype,
          layout,
          ...(options.quantize ? { quantize: options.quantize } : {}),
        });
        const written = await writeOnnxModel({
          path: join(staging, 'onnx', 'model.onnx'),
          graph,
          opsets: llamaGraphOpsets({ layout, ...(options.quantize ? { quantize: options.quantize } : {}) }),
          externalData: options.externalData ?? 'auto',
          ...(options.signal ? { signal: options.signal } : {}),
          onWeight: (doneBytes, totalBytes, tensor) => options.onProgress?.({ stage: 'weights', doneBytes, totalBytes, tensor }),
        });
        writeSideFiles(staging, checkpoint, tokenizerDir, options, dtype, written.externalDataFile !== undefined);
        const report: BuildReport = {
          out: resolve(options.out),
          source: checkpoint.description,
          architecture: checkpoint.architecture,
          dtype,
          quantize: options.quantize,
          layout,
          adapters: adapters.map((a, i) => ({ path: a.path, modules: a.modules.size, factor: factors[i]! })),
          weightBytes: written.weightBytes,
          externalData: written.externalDataFile !== undefined,
          seconds: 0,
        };
        writeFileSync(
          join(staging, 'build.json'),
          `${JSON.stringify({ builderVersion: BUILDER_VERSION, ...report, seconds: undefined, out: undefined }, null, 2)}\n`,
        );
        return report;
      },
      { overwrite: options.overwrite ?? false },
    ).then((report) => ({ ...report, seconds: (performance.now() - started) / 1000 }));
  } finally {
    checkpoint.close();
    for (const a of adapters) a.file.close();
  }
}

/**
 * Opens a checkpoint by its path: a `.bin` file is llama2c, anything else a Hugging Face
 * checkpoint (folder or `.safetensors` file).
 *
 * @example
 * const ckpt = openCheckpoint({ from: 'llama2c/stories260K.bin' });
 */
export function openCheckpoint(options: Pick<BuildModelOptions, 'from' | 'random'>): Checkpoint {
  if (options.random) {
    const arch = resolveModelShape(options.random.shape);
    return randomCheckpoint(arch, { seed: options.random.seed ?? 1, description: `random ${options.random.shape}` });
  }
  const from = resolve(options.from!);
  if (!existsSync(from)) throw new ModelBuildError('INPUT_NOT_FOUND', `checkpoint not found: ${from}`);
  return statSync(from).isFile() && from.endsWith('.bin') ? openLlama2cCheckpoint(from) : openHuggingFaceCheckpoint(from);
}

function resolveFactors(scale: number | readonly number[] | undefined, count: number): number[] {
  const list = scale === undefined ? [1] : typeof scale === 'number' ? [scale] : [...scale];
  if (!list.every((s) => Number.isFinite(s)))
    throw new ModelBuildError('INVALID_OPTIONS', `LoRA scales must be finite numbers (got ${list.join(', ')})`);
  if (list.length === 1) return Array.from({ length: count }, () => list[0]!);
  if (list.length !== count)
    throw new ModelBuildError('INVALID_OPTIONS', `${list.length} LoRA scales for ${count} adapters: give one for all or one per adapter`);
  return list;
}

function resolveTokenizerDir(options: BuildModelOptions, checkpoint: Checkpoint): string {
  if (options.tokenizer !== undefined) {
    const dir = resolve(options.tokenizer);
    if (!existsSync(join(dir, 'tokenizer.json')))
      throw new ModelBuildError('INPUT_NOT_FOUND', `tokenizer folder ${dir} has no tokenizer.json`);
    return dir;
  }
  if (options.random) throw new ModelBuildError('INVALID_OPTIONS', 'a random-weight build needs a tokenizer folder (--tokenizer)');
  const from = resolve(options.from!);
  const dir = statSync(from).isFile() ? dirname(from) : from;
  if (!existsSync(join(dir, 'tokenizer.json'))) {
    throw new ModelBuildError(
      'INPUT_NOT_FOUND',
      `${checkpoint.description} has no tokenizer.json beside it; name a tokenizer folder (--tokenizer)`,
    );
  }
  return dir;
}

/** Warns when the tokenizer can produce ids the model has no embedding for. */
function checkTokenizer(dir: string, arch: LlamaArchitecture, warn: ((m: string) => void) | undefined): void {
  let largest = -1;
  try {
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as {
      model?: { vocab?: unknown };
      added_tokens?: Array<{ id?: number }>;
    };
    const vocab = json.model?.vocab;
    if (Array.isArray(vocab)) largest = vocab.length - 1;
    // A loop, not Math.max(...ids): spreading a 128k-token vocabulary overflows the call stack.
    else if (vocab && typeof vocab === 'object')
      for (const id of Object.values(vocab as Record<string, number>)) if (id > largest) largest = id;
    for (const t of json.added_tokens ?? []) if (typeof t.id === 'number') largest = Math.max(largest, t.id);
  } catch (cause) {
    throw new ModelBuildError('INVALID_CHECKPOINT', `${join(dir, 'tokenizer.json')} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (largest >= arch.vocabSize)
    warn?.(
      `the tokenizer in ${dir} has ids up to ${largest}, but the model's vocabulary is ${arch.vocabSize}: prompts using larger ids will be refused`,
    );
}

function writeSideFiles(
  dir: string,
  checkpoint: Checkpoint,
  tokenizerDir: string,
  options: BuildModelOptions,
  dtype: GraphDtype,
  external: boolean,
): void {
  const arch = checkpoint.architecture;
  const config = toHuggingFaceConfig(arch, checkpoint.sourceConfig as Record<string, unknown>);
  config['torch_dtype'] = dtype === 'fp16' ? 'float16' : 'float32';
  // transformers.js reads external weights only when told to.
  if (external) config['transformers.js_config'] = { use_external_data_format: { 'model.onnx': 1 } };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  for (const name of TOKENIZER_FILES) if (existsSync(join(tokenizerDir, name))) copyFileSync(join(tokenizerDir, name), join(dir, name));
  const sourceDir = options.from
    ? statSync(resolve(options.from)).isFile()
      ? dirname(resolve(options.from))
      : resolve(options.from)
    : undefined;
  const generation = [sourceDir, tokenizerDir]
    .map((d) => d && join(d, 'generation_config.json'))
    .find((f): f is string => f !== undefined && existsSync(f));
  if (generation) copyFileSync(generation, join(dir, 'generation_config.json'));
  else {
    writeFileSync(
      join(dir, 'generation_config.json'),
      `${JSON.stringify({ ...(arch.bosTokenId !== undefined ? { bos_token_id: arch.bosTokenId } : {}), ...(arch.eosTokenId !== undefined ? { eos_token_id: arch.eosTokenId } : {}) }, null, 2)}\n`,
    );
  }
}
