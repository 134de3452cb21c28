import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ModelError } from './errors.js';

/** The fields of a Hugging Face `config.json` that the generator needs, with defaults applied. */
export interface ModelConfig {
  modelType: string;
  numLayers: number;
  numAttentionHeads: number;
  /** `num_key_value_heads`; equals `numAttentionHeads` when absent (no grouped-query attention). */
  numKeyValueHeads: number;
  /** `head_dim`; `hidden_size / num_attention_heads` when absent. */
  headDim: number;
  vocabSize: number;
  /** `max_position_embeddings`: the trained context window, in tokens. */
  maxPositionEmbeddings: number;
  bosTokenId: number | undefined;
  eosTokenIds: number[];
}

/** The fields of `generation_config.json` that set generation defaults. */
export interface GenerationConfig {
  eosTokenIds: number[];
  doSample: boolean | undefined;
  temperature: number | undefined;
  topK: number | undefined;
  topP: number | undefined;
  repetitionPenalty: number | undefined;
  maxLength: number | undefined;
}

/** A validated model directory: parsed JSON files and the chosen ONNX graph. */
export interface ModelDirectory {
  path: string;
  config: ModelConfig;
  generationConfig: GenerationConfig;
  /** Raw `tokenizer.json`, handed to `@huggingface/tokenizers`. */
  tokenizerJson: Record<string, unknown>;
  /** Raw `tokenizer_config.json` (special tokens, `chat_template`). */
  tokenizerConfig: Record<string, unknown>;
  /** Absolute path of the ONNX graph; its external-data files sit beside it. */
  onnxPath: string;
}

/** Options of {@link readModelDirectory}. */
export interface ModelDirectoryOptions {
  /**
   * File name inside `onnx/` to load (e.g. `model_fp16.onnx`). Default: `model.onnx` when present,
   * else the only `model*.onnx`; several candidates without `model.onnx` is an error naming them.
   */
  onnxFile?: string;
}

/**
 * Reads and validates a model directory (`config.json`, `generation_config.json` (optional),
 * `tokenizer.json`, `tokenizer_config.json`, `onnx/model*.onnx`). Every problem is a
 * {@link ModelError} naming the file: `MODEL_NOT_FOUND` for missing files, `INVALID_MODEL` for
 * malformed ones.
 *
 * @example
 * const dir = readModelDirectory('../shared/models/stories260k');
 * dir.config.numLayers; // 5
 */
export function readModelDirectory(path: string, options: ModelDirectoryOptions = {}): ModelDirectory {
  const root = resolve(path);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new ModelError('MODEL_NOT_FOUND', `model directory not found: ${root}`);
  }
  const config = parseModelConfig(readJsonObject(root, 'config.json', true), join(root, 'config.json'));
  const generationConfig = parseGenerationConfig(readJsonObject(root, 'generation_config.json', false) ?? {});
  const tokenizerJson = readJsonObject(root, 'tokenizer.json', true);
  const tokenizerConfig = readJsonObject(root, 'tokenizer_config.json', true);
  return { path: root, config, generationConfig, tokenizerJson, tokenizerConfig, onnxPath: findOnnxGraph(root, options.onnxFile) };
}

/**
 * A JSON object file of the directory: `undefined` when absent and not required; a
 * {@link ModelError} naming the file when required and absent, or not a JSON object.
 *
 * @example
 * readJsonObject('/models/minilm', 'modules.json', false); // undefined when there is none
 */
export function readJsonObject(root: string, name: string, required: true): Record<string, unknown>;
export function readJsonObject(root: string, name: string, required: false): Record<string, unknown> | undefined;
export function readJsonObject(root: string, name: string, required: boolean): Record<string, unknown> | undefined {
  const value = readJson(root, name, required);
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelError('INVALID_MODEL', `${join(root, name)} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * A JSON file of the directory (any JSON value): `undefined` when absent and not required.
 *
 * @example
 * readJson('/models/minilm', 'modules.json', false); // [{ idx: 0, … }, …]
 */
export function readJson(root: string, name: string, required: boolean): unknown {
  const file = join(root, name);
  if (!existsSync(file)) {
    if (!required) return undefined;
    throw new ModelError('MODEL_NOT_FOUND', `model directory ${root} has no ${name}`);
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (cause) {
    throw new ModelError('INVALID_MODEL', `${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

function findOnnxGraph(root: string, onnxFile: string | undefined): string {
  const dir = join(root, 'onnx');
  if (onnxFile !== undefined) {
    const file = join(dir, onnxFile);
    if (!existsSync(file)) throw new ModelError('MODEL_NOT_FOUND', `ONNX graph not found: ${file}`);
    return file;
  }
  const candidates = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^model.*\.onnx$/.test(f))
        .sort()
    : [];
  if (candidates.includes('model.onnx')) return join(dir, 'model.onnx');
  if (candidates.length === 1) return join(dir, candidates[0]!);
  if (candidates.length === 0) throw new ModelError('MODEL_NOT_FOUND', `model directory ${root} has no onnx/model*.onnx`);
  throw new ModelError('INVALID_OPTIONS', `several ONNX graphs in ${dir} (${candidates.join(', ')}); choose one with onnxFile`);
}

/**
 * Parses the generator's fields of `config.json` (`text_config` of multimodal wrappers merged in);
 * `file` names it in errors.
 *
 * @example
 * parseModelConfig({ num_hidden_layers: 2, num_attention_heads: 4, hidden_size: 64, vocab_size: 100 }).headDim; // 16
 */
export function parseModelConfig(raw: Record<string, unknown>, file = 'config.json'): ModelConfig {
  // Multimodal wrappers (e.g. Gemma 3, LLaVA) nest the decoder's fields in text_config.
  const c = isObject(raw['text_config']) ? { ...raw, ...raw['text_config'] } : raw;
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new ModelError('INVALID_MODEL', `${file}: ${key} must be a positive integer (got ${JSON.stringify(v)})`);
    }
    return v;
  };
  const numLayers = int('num_hidden_layers');
  const numAttentionHeads = int('num_attention_heads');
  const numKeyValueHeads = int('num_key_value_heads', numAttentionHeads);
  const hidden = typeof c['hidden_size'] === 'number' ? c['hidden_size'] : undefined;
  const headDim = int('head_dim', hidden !== undefined ? hidden / numAttentionHeads : undefined);
  const bos = c['bos_token_id'];
  return {
    modelType: typeof c['model_type'] === 'string' ? c['model_type'] : 'unknown',
    numLayers,
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    vocabSize: int('vocab_size'),
    maxPositionEmbeddings: int('max_position_embeddings', 2048),
    bosTokenId: typeof bos === 'number' ? bos : undefined,
    eosTokenIds: tokenIds(c['eos_token_id']),
  };
}

/**
 * Parses `generation_config.json` (every field optional).
 *
 * @example
 * parseGenerationConfig({ eos_token_id: [2, 32000], do_sample: true, top_p: 0.9 }).eosTokenIds; // [2, 32000]
 */
export function parseGenerationConfig(raw: Record<string, unknown>): GenerationConfig {
  const num = (key: string): number | undefined => (typeof raw[key] === 'number' ? raw[key] : undefined);
  return {
    eosTokenIds: tokenIds(raw['eos_token_id']),
    doSample: typeof raw['do_sample'] === 'boolean' ? raw['do_sample'] : undefined,
    temperature: num('temperature'),
    topK: num('top_k'),
    topP: num('top_p'),
    repetitionPenalty: num('repetition_penalty'),
    maxLength: num('max_length'),
  };
}

function tokenIds(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
