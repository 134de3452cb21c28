import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildModel, BUILDER_VERSION, openCheckpoint, TOKENIZER_FILES, type BuildProgress } from './build-model.js';
import { ModelBuildError } from './errors.js';
import type { GraphDtype } from './llama-graph.js';

/** Options of {@link ensureMergedModel}. */
export interface EnsureMergedModelOptions {
  /** The base checkpoint (Hugging Face folder or `.safetensors`, or llama2c `.bin`). */
  base: string;
  /** PEFT LoRA adapter folders, merged in order. Default none. */
  adapters?: readonly string[];
  /** Factor on each adapter's alpha/r: one for all or one per adapter. Default `1`. */
  scale?: number | readonly number[];
  /** Default `fp32`. */
  dtype?: GraphDtype;
  /** Tokenizer folder. Default: the base checkpoint's folder. */
  tokenizer?: string;
  /** Where merged models are kept, one folder per content key. */
  cacheDir: string;
  onProgress?: (progress: BuildProgress) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/** A merged model ready to load. */
export interface MergedModel {
  /** The model directory (pass it to `loadLanguageModel`). */
  dir: string;
  /** Content key: SHA-256 of the base, adapter and tokenizer bytes and the options. */
  key: string;
  /** Whether this call built it (false: it was cached). */
  built: boolean;
}

const HASH_MEMO = 'file-hashes.json';

/**
 * Returns a model directory for base + adapters, building it on first use: the cache key is
 * the SHA-256 of the bytes of every input file (checkpoint, config, tokenizer, adapters) and the
 * options, so a changed adapter builds anew and an unchanged one loads at once. File hashes are
 * remembered by path, size and mtime. Builds are atomic; two processes racing on one key both
 * end with the same complete directory.
 *
 * @example
 * const { dir } = await ensureMergedModel({ base: 'models/llama-7b', adapters: ['adapters/medical'], cacheDir: 'data/models' });
 * const model = await loadLanguageModel(dir);
 */
export async function ensureMergedModel(options: EnsureMergedModelOptions): Promise<MergedModel> {
  const cacheDir = resolve(options.cacheDir);
  mkdirSync(cacheDir, { recursive: true });
  const memo = new HashMemo(join(cacheDir, HASH_MEMO));
  const checkpoint = openCheckpoint({ from: options.base });
  let baseFiles: string[];
  try {
    baseFiles = [...checkpoint.files];
  } finally {
    checkpoint.close();
  }
  const base = resolve(options.base);
  const baseDir = statSync(base).isFile() ? dirname(base) : base;
  if (existsSync(join(baseDir, 'config.json')) && !base.endsWith('.bin')) baseFiles.push(join(baseDir, 'config.json'));
  const tokenizerDir = resolve(options.tokenizer ?? baseDir);
  // Exactly what the build copies: the tokenizer files, and the generation config the base's folder wins for.
  const generationConfig = [baseDir, tokenizerDir].map((d) => join(d, 'generation_config.json')).find((f) => existsSync(f));
  const tokenizerFiles = TOKENIZER_FILES.map((f) => join(tokenizerDir, f)).filter((f) => existsSync(f));
  const adapters = (options.adapters ?? []).map((a) => resolve(a));
  for (const a of adapters)
    if (!existsSync(join(a, 'adapter_config.json'))) throw new ModelBuildError('INVALID_ADAPTER', `${a} has no adapter_config.json`);
  const adapterFiles = adapters.map((a) =>
    ['adapter_config.json', 'adapter_model.safetensors'].map((f) => join(a, f)).filter((f) => existsSync(f)),
  );

  const keyInput = {
    builderVersion: BUILDER_VERSION,
    base: baseFiles.map((f) => memo.hash(f)),
    tokenizer: tokenizerFiles.map((f) => [f.slice(tokenizerDir.length + 1), memo.hash(f)]),
    generationConfig: generationConfig ? memo.hash(generationConfig) : null,
    adapters: adapterFiles.map((files) => files.map((f) => memo.hash(f))),
    scale: options.scale ?? 1,
    dtype: options.dtype ?? 'fp32',
  };
  memo.save();
  const key = createHash('sha256').update(JSON.stringify(keyInput)).digest('hex');
  const dir = join(cacheDir, key.slice(0, 24));
  if (existsSync(join(dir, 'build.json'))) return { dir, key, built: false };
  try {
    await buildModel({
      from: base,
      ...(options.tokenizer !== undefined ? { tokenizer: options.tokenizer } : {}),
      adapters,
      ...(options.scale !== undefined ? { loraScale: options.scale } : {}),
      dtype: options.dtype ?? 'fp32',
      out: dir,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  } catch (error) {
    // Another process finished the same build first: its directory is complete.
    if (error instanceof ModelBuildError && error.code === 'OUTPUT_EXISTS' && existsSync(join(dir, 'build.json')))
      return { dir, key, built: false };
    throw error;
  }
  return { dir, key, built: true };
}

/** SHA-256 of files, remembered across runs by path, size, mtime and inode. */
class HashMemo {
  private readonly entries: Record<string, { stamp: string; sha256: string }>;
  private dirty = false;

  constructor(private readonly file: string) {
    let entries: Record<string, { stamp: string; sha256: string }> = {};
    try {
      entries = JSON.parse(readFileSync(file, 'utf8')) as typeof entries;
    } catch {
      // Missing or damaged memo: hashes are recomputed.
    }
    this.entries = entries;
  }

  hash(path: string): string {
    const s = statSync(path);
    const stamp = `${s.size}:${s.mtimeMs}:${s.ino}`;
    const known = this.entries[path];
    if (known?.stamp === stamp) return known.sha256;
    const sha256 = hashFile(path);
    this.entries[path] = { stamp, sha256 };
    this.dirty = true;
    return sha256;
  }

  save(): void {
    if (!this.dirty) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.entries));
    renameSync(tmp, this.file);
    this.dirty = false;
  }
}

function hashFile(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(16 * 1024 * 1024);
    for (let n = readSync(fd, buffer, 0, buffer.length, null); n > 0; n = readSync(fd, buffer, 0, buffer.length, null))
      hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
