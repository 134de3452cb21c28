import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ModelError } from '../generation/errors.js';
import { readJsonObject } from '../generation/model-directory.js';

/**
 * A BERT-family encoder directory as optimum, transformers.js and sentence-transformers export it:
 * `config.json`, `tokenizer.json` (+ optional `tokenizer_config.json`) and the graph at
 * `onnx/model.onnx` or `model.onnx`.
 */
export interface EncoderDirectory {
  /** Absolute path of the directory. */
  path: string;
  /** `_name_or_path` of config.json (its last path part), else the directory's name. */
  name: string;
  /** Raw `config.json`. */
  config: Record<string, unknown>;
  /** `max_position_embeddings` of config.json, when it says. */
  maxPositionEmbeddings: number | undefined;
  /** Raw `tokenizer.json`, handed to `@huggingface/tokenizers`. */
  tokenizerJson: Record<string, unknown>;
  /** Raw `tokenizer_config.json`; `{}` when the directory has none. */
  tokenizerConfig: Record<string, unknown>;
  /** `model_max_length` of tokenizer_config.json, when it is a usable length (HF writes 1e30 for "none"). */
  tokenizerMaxLength: number | undefined;
  /** Absolute path of the ONNX graph. */
  onnxPath: string;
}

/** Options of {@link readEncoderDirectory}. */
export interface EncoderDirectoryOptions {
  /**
   * The graph, relative to the directory (e.g. `onnx/model_quantized.onnx`). Default:
   * `onnx/model.onnx`, else `model.onnx`.
   */
  onnxFile?: string;
}

/** Longest `model_max_length` taken as a real limit; larger values are HF's "no limit" placeholder. */
const LARGEST_PLAUSIBLE_LENGTH = 1_000_000;

/**
 * Reads and checks an encoder directory. Every problem is a {@link ModelError} naming the file:
 * `MODEL_NOT_FOUND` when the directory, `config.json`, `tokenizer.json` or the graph is missing,
 * `INVALID_MODEL` when a JSON file is malformed.
 *
 * @example
 * const dir = readEncoderDirectory('models/all-MiniLM-L6-v2');
 * dir.onnxPath; // '/…/models/all-MiniLM-L6-v2/onnx/model.onnx'
 */
export function readEncoderDirectory(path: string, options: EncoderDirectoryOptions = {}): EncoderDirectory {
  const root = resolve(path);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new ModelError('MODEL_NOT_FOUND', `model directory not found: ${root}`);
  }
  const config = readJsonObject(root, 'config.json', true);
  const tokenizerJson = readJsonObject(root, 'tokenizer.json', true);
  const tokenizerConfig = readJsonObject(root, 'tokenizer_config.json', false) ?? {};
  const nameOrPath = config['_name_or_path'];
  const name = typeof nameOrPath === 'string' && nameOrPath.trim() ? basename(nameOrPath.trim()) : basename(root);
  return {
    path: root,
    name,
    config,
    maxPositionEmbeddings: positiveInteger(config['max_position_embeddings']),
    tokenizerJson,
    tokenizerConfig,
    tokenizerMaxLength: plausibleLength(tokenizerConfig['model_max_length']),
    onnxPath: findGraph(root, options.onnxFile),
  };
}

function findGraph(root: string, onnxFile: string | undefined): string {
  if (onnxFile !== undefined) {
    const file = resolve(root, onnxFile);
    if (!existsSync(file)) throw new ModelError('MODEL_NOT_FOUND', `ONNX graph not found: ${file}`);
    return file;
  }
  for (const candidate of [join(root, 'onnx', 'model.onnx'), join(root, 'model.onnx')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new ModelError('MODEL_NOT_FOUND', `model directory ${root} has no onnx/model.onnx or model.onnx`);
}

function positiveInteger(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

function plausibleLength(v: unknown): number | undefined {
  const n = positiveInteger(v);
  return n !== undefined && n <= LARGEST_PLAUSIBLE_LENGTH ? n : undefined;
}
