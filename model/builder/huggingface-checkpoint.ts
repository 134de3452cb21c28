import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Checkpoint } from './checkpoint.js';
import { ModelBuildError } from './errors.js';
import { llamaWeightShapes, parseLlamaArchitecture, type LlamaArchitecture } from './llama-architecture.js';
import { SafetensorsFile } from './safetensors-file.js';

const INDEX_FILE = 'model.safetensors.index.json';

/**
 * A Hugging Face LLaMA checkpoint: `config.json` plus `model.safetensors`, or shards listed in
 * `model.safetensors.index.json`; F32, F16 or BF16 tensors, tied or untied heads. `path` is the
 * directory or one `.safetensors` file (its directory holds `config.json`).
 *
 * @example
 * const ckpt = openHuggingFaceCheckpoint('../shared/models/stories260k');
 * ckpt.read('model.norm.weight').length; // 64
 */
export function openHuggingFaceCheckpoint(path: string): Checkpoint {
  const target = resolve(path);
  if (!existsSync(target)) throw new ModelBuildError('INPUT_NOT_FOUND', `checkpoint not found: ${target}`);
  const isFile = statSync(target).isFile();
  const dir = isFile ? dirname(target) : target;
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath))
    throw new ModelBuildError('INPUT_NOT_FOUND', `${dir} has no config.json (a Hugging Face checkpoint needs one beside its weights)`);
  let sourceConfig: Record<string, unknown>;
  try {
    sourceConfig = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new ModelBuildError('INVALID_CHECKPOINT', `${configPath} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const architecture = parseLlamaArchitecture(sourceConfig, configPath);
  const files = isFile ? [target] : weightFiles(dir);
  const opened: SafetensorsFile[] = [];
  try {
    for (const f of files) opened.push(SafetensorsFile.open(f));
    return new HuggingFaceCheckpoint(target, architecture, sourceConfig, opened);
  } catch (error) {
    for (const f of opened) f.close();
    throw error;
  }
}

function weightFiles(dir: string): string[] {
  const index = join(dir, INDEX_FILE);
  if (existsSync(index)) {
    let weightMap: unknown;
    try {
      weightMap = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: unknown }).weight_map;
    } catch (cause) {
      throw new ModelBuildError('INVALID_CHECKPOINT', `${index} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
    if (typeof weightMap !== 'object' || weightMap === null) throw new ModelBuildError('INVALID_CHECKPOINT', `${index} has no weight_map`);
    const shards = [...new Set(Object.values(weightMap as Record<string, unknown>))];
    if (!shards.every((s): s is string => typeof s === 'string' && basename(s) === s)) {
      throw new ModelBuildError('INVALID_CHECKPOINT', `${index}: weight_map values must be file names in the same folder`);
    }
    for (const s of shards)
      if (!existsSync(join(dir, s))) throw new ModelBuildError('INPUT_NOT_FOUND', `${index} lists shard ${s}, which is missing`);
    return shards.sort().map((s) => join(dir, s));
  }
  if (existsSync(join(dir, 'model.safetensors'))) return [join(dir, 'model.safetensors')];
  const names = readdirSync(dir);
  const shards = names.filter((n) => /^model-\d+-of-\d+\.safetensors$/.test(n)).sort();
  if (shards.length > 0) return shards.map((s) => join(dir, s));
  if (names.some((n) => /\.(bin|pt|pth)$/.test(n))) {
    throw new ModelBuildError(
      'UNSUPPORTED',
      `${dir} holds PyTorch pickle weights only; convert them to safetensors (pickles can run code, so Galen does not read them)`,
    );
  }
  throw new ModelBuildError('INPUT_NOT_FOUND', `${dir} has no model.safetensors, sharded model-*-of-*.safetensors or ${INDEX_FILE}`);
}

class HuggingFaceCheckpoint implements Checkpoint {
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly files: readonly string[];
  private readonly where = new Map<string, SafetensorsFile>();

  constructor(
    readonly description: string,
    readonly architecture: LlamaArchitecture,
    readonly sourceConfig: Readonly<Record<string, unknown>>,
    private readonly opened: SafetensorsFile[],
  ) {
    this.files = opened.map((f) => f.path);
    for (const file of opened) for (const name of file.entries.keys()) if (!this.where.has(name)) this.where.set(name, file);
    const expected = llamaWeightShapes(architecture);
    for (const [name, shape] of expected) {
      const file = this.where.get(name);
      if (!file) {
        const hint = name === 'lm_head.weight' ? ' (config.json tie_word_embeddings is not true, so the head must be stored)' : '';
        throw new ModelBuildError('INVALID_CHECKPOINT', `${description}: tensor ${name} is missing${hint}`);
      }
      const entry = file.entries.get(name)!;
      if (entry.shape.join(',') !== shape.join(',')) {
        throw new ModelBuildError(
          'INVALID_CHECKPOINT',
          `${file.path}: tensor ${name} has shape [${entry.shape.join(', ')}], config.json implies [${shape.join(', ')}]`,
        );
      }
      if (file.floatFormat(name) === undefined)
        throw new ModelBuildError('UNSUPPORTED', `${file.path}: tensor ${name} is ${entry.dtype}; the builder reads F32, F16 and BF16`);
    }
    this.shapes = expected;
  }

  read(name: string): Float32Array {
    const file = this.where.get(name);
    if (!file || !this.shapes.has(name)) throw new ModelBuildError('INVALID_CHECKPOINT', `${this.description} has no tensor ${name}`);
    return file.readFloat32(name);
  }

  close(): void {
    for (const f of this.opened) f.close();
  }
}
