import { join } from 'node:path';
import { ModelError } from '../generation/errors.js';
import { readJson, readJsonObject } from '../generation/model-directory.js';
import { readEncoderDirectory, type EncoderDirectory, type EncoderDirectoryOptions } from './encoder-directory.js';
import type { PoolingMode } from './pooling.js';

/** An encoder directory plus what sentence-transformers' module files say about pooling and length. */
export interface SentenceTransformersDirectory extends EncoderDirectory {
  /** Pooling from the Pooling module's config, `undefined` when the directory has none. */
  pooling: PoolingMode | undefined;
  /** Whether `modules.json` lists Dense modules, which only a graph with a pooled output includes. */
  hasDense: boolean;
  /** `max_seq_length` of `sentence_bert_config.json`, when it says. */
  maxSeqLength: number | undefined;
}

interface ModuleEntry {
  path: string;
  type: string;
}

/** The Pooling config keys of modes other than mean and CLS, which Galen does not implement. */
const UNSUPPORTED_POOLING_KEYS = [
  'pooling_mode_max_tokens',
  'pooling_mode_mean_sqrt_len_tokens',
  'pooling_mode_weightedmean_tokens',
  'pooling_mode_lasttoken',
];

/**
 * Reads a sentence-transformers model directory with an ONNX graph: the encoder files
 * ({@link readEncoderDirectory}), `modules.json` (Pooling, Normalize and Dense modules), the
 * Pooling module's `config.json` (default folder `1_Pooling`) and `sentence_bert_config.json`.
 * Every module file is optional. A pooling mode other than mean or CLS, or several at once, is an
 * `INVALID_MODEL` {@link ModelError} naming the file.
 *
 * @example
 * const dir = readSentenceTransformersDirectory('models/all-MiniLM-L6-v2');
 * dir.pooling; // 'mean'
 * dir.maxSeqLength; // 256
 */
export function readSentenceTransformersDirectory(path: string, options: EncoderDirectoryOptions = {}): SentenceTransformersDirectory {
  const encoder = readEncoderDirectory(path, options);
  const root = encoder.path;
  const modules = readModules(root);
  const poolingDir = modules?.find((m) => m.type.endsWith('Pooling'))?.path ?? '1_Pooling';
  const poolingFile = join(poolingDir, 'config.json');
  const poolingConfig = readJsonObject(root, poolingFile, false);
  const sbert = readJsonObject(root, 'sentence_bert_config.json', false);
  const maxSeqLength = sbert?.['max_seq_length'];
  return {
    ...encoder,
    pooling: poolingConfig === undefined ? undefined : poolingMode(poolingConfig, join(root, poolingFile)),
    hasDense: modules?.some((m) => m.type.endsWith('Dense')) ?? false,
    maxSeqLength: typeof maxSeqLength === 'number' && Number.isInteger(maxSeqLength) && maxSeqLength > 0 ? maxSeqLength : undefined,
  };
}

function readModules(root: string): ModuleEntry[] | undefined {
  const raw = readJson(root, 'modules.json', false);
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new ModelError('INVALID_MODEL', `${join(root, 'modules.json')} must hold a JSON array of modules`);
  return raw.map((m: unknown) => {
    const entry = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
    return { path: typeof entry['path'] === 'string' ? entry['path'] : '', type: typeof entry['type'] === 'string' ? entry['type'] : '' };
  });
}

function poolingMode(config: Record<string, unknown>, file: string): PoolingMode {
  // Newer sentence-transformers versions may also write the mode as one string.
  const named = config['pooling_mode'];
  const modes: string[] = typeof named === 'string' ? [named] : [];
  if (config['pooling_mode_mean_tokens'] === true) modes.push('mean');
  if (config['pooling_mode_cls_token'] === true) modes.push('cls');
  for (const key of UNSUPPORTED_POOLING_KEYS) if (config[key] === true) modes.push(key.replace(/^pooling_mode_/, ''));
  const distinct = [...new Set(modes)];
  if (distinct.length !== 1) {
    throw new ModelError(
      'INVALID_MODEL',
      `${file}: exactly one pooling mode must be set (found ${distinct.length ? distinct.join(', ') : 'none'})`,
    );
  }
  const mode = distinct[0]!;
  if (mode !== 'mean' && mode !== 'cls') {
    throw new ModelError('INVALID_MODEL', `${file}: pooling mode ${mode} is not supported (mean or cls)`);
  }
  return mode;
}
