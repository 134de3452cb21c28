import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Checkpoint } from './checkpoint.js';
import { ModelBuildError } from './errors.js';
import { SafetensorsFile } from './safetensors-file.js';

/** The fields of a PEFT `adapter_config.json` that decide a LoRA merge. */
export interface LoraConfig {
  /** Default rank `r`. */
  r: number;
  /** Default `lora_alpha`. */
  alpha: number;
  targetModules: string[] | string | undefined;
  fanInFanOut: boolean;
  /** rsLoRA: scale = alpha/√r instead of alpha/r. */
  useRslora: boolean;
  /** Per-module rank overrides (keys are PEFT patterns: a module name suffix or a regex). */
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
}

/** One adapted linear layer. */
export interface LoraModule {
  /** The base weight it changes, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  baseWeight: string;
  /** Tensor names in the adapter file. */
  a: string;
  b: string;
  rank: number;
  /** alpha/r (alpha/√r with rsLoRA), before the user's `--lora-scale`. */
  scale: number;
}

/** A PEFT LoRA adapter opened for merging. */
export interface LoraAdapter {
  path: string;
  config: LoraConfig;
  /** By base weight name. */
  modules: ReadonlyMap<string, LoraModule>;
  /** The files whose bytes define it (for content hashing). */
  files: readonly string[];
  file: SafetensorsFile;
}

const KEY = /^(?:base_model\.model\.)?(.+)\.lora_(A|B)(?:\.[^.]+)?\.weight$/;

/**
 * Opens a PEFT LoRA adapter folder (`adapter_config.json` + `adapter_model.safetensors`) and
 * checks it on its own: every tensor is a `lora_A`/`lora_B` pair of consistent rank. A `.bin`
 * adapter is refused (pickle). Errors are `INVALID_ADAPTER` / `UNSUPPORTED` naming the tensor.
 *
 * @example
 * const adapter = openLoraAdapter('../shared/models/stories260k/lora-test');
 * adapter.modules.size; // 35
 */
export function openLoraAdapter(path: string): LoraAdapter {
  const dir = resolve(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ModelBuildError('INPUT_NOT_FOUND', `LoRA adapter folder not found: ${dir}`);
  const configPath = join(dir, 'adapter_config.json');
  if (!existsSync(configPath))
    throw new ModelBuildError('INVALID_ADAPTER', `${dir} has no adapter_config.json (a PEFT LoRA adapter needs one)`);
  const config = parseLoraConfig(configPath);
  const weights = join(dir, 'adapter_model.safetensors');
  if (!existsSync(weights)) {
    if (existsSync(join(dir, 'adapter_model.bin'))) {
      throw new ModelBuildError(
        'UNSUPPORTED',
        `${dir}/adapter_model.bin is a PyTorch pickle, which Galen does not read (it can run code); save the adapter with safe_serialization=True or convert it to adapter_model.safetensors`,
      );
    }
    throw new ModelBuildError('INVALID_ADAPTER', `${dir} has no adapter_model.safetensors`);
  }
  const file = SafetensorsFile.open(weights);
  try {
    return { path: dir, config, modules: collectModules(file, config), files: [configPath, weights], file };
  } catch (error) {
    file.close();
    throw error;
  }
}

function parseLoraConfig(path: string): LoraConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new ModelBuildError('INVALID_ADAPTER', `${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const bad = (what: string): never => {
    throw new ModelBuildError('INVALID_ADAPTER', `${path}: ${what}`);
  };
  if (raw['peft_type'] !== undefined && raw['peft_type'] !== 'LORA')
    throw new ModelBuildError('UNSUPPORTED', `${path}: peft_type ${JSON.stringify(raw['peft_type'])} is not LORA`);
  const r = raw['r'] ?? 8;
  const alpha = raw['lora_alpha'] ?? 8;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) bad(`r must be a positive integer (got ${JSON.stringify(r)})`);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) bad(`lora_alpha must be a number (got ${JSON.stringify(alpha)})`);
  const patterns = (key: string): Record<string, number> => {
    const v = raw[key] ?? {};
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'number'))
      bad(`${key} must map module patterns to numbers`);
    return v as Record<string, number>;
  };
  if (raw['use_dora'] === true) throw new ModelBuildError('UNSUPPORTED', `${path}: DoRA adapters (use_dora) are not supported`);
  if (raw['lora_bias'] === true) throw new ModelBuildError('UNSUPPORTED', `${path}: lora_bias adapters are not supported`);
  const target = raw['target_modules'];
  return {
    r: r as number,
    alpha: alpha as number,
    targetModules: typeof target === 'string' || Array.isArray(target) ? (target as string[] | string) : undefined,
    fanInFanOut: raw['fan_in_fan_out'] === true,
    useRslora: raw['use_rslora'] === true,
    rankPattern: patterns('rank_pattern'),
    alphaPattern: patterns('alpha_pattern'),
  };
}

/** PEFT's pattern lookup: the first key matching the end of the module name (`(.*\.)?key$`). */
function patternValue(patterns: Record<string, number>, module: string): number | undefined {
  for (const [key, value] of Object.entries(patterns)) {
    let re: RegExp;
    try {
      re = new RegExp(`^(.*\\.)?(${key})$`);
    } catch {
      continue;
    }
    if (re.test(module)) return value;
  }
  return undefined;
}

function collectModules(file: SafetensorsFile, config: LoraConfig): Map<string, LoraModule> {
  const pairs = new Map<string, { a?: string; b?: string }>();
  for (const name of file.entries.keys()) {
    if (/lora_embedding_[AB]/.test(name))
      throw new ModelBuildError('UNSUPPORTED', `${file.path}: tensor ${name} adapts an embedding; only linear layers can be merged`);
    const m = KEY.exec(name);
    if (!m) throw new ModelBuildError('INVALID_ADAPTER', `${file.path}: tensor ${name} is not a LoRA lora_A/lora_B weight`);
    const entry = pairs.get(m[1]!) ?? {};
    entry[m[2] === 'A' ? 'a' : 'b'] = name;
    pairs.set(m[1]!, entry);
  }
  if (pairs.size === 0) throw new ModelBuildError('INVALID_ADAPTER', `${file.path} holds no LoRA tensors`);
  const modules = new Map<string, LoraModule>();
  for (const [module, { a, b }] of pairs) {
    if (!a || !b)
      throw new ModelBuildError(
        'INVALID_ADAPTER',
        `${file.path}: module ${module} has ${a ? 'lora_A' : 'lora_B'} but no ${a ? 'lora_B' : 'lora_A'}`,
      );
    const shapeA = file.entries.get(a)!.shape;
    const shapeB = file.entries.get(b)!.shape;
    if (shapeA.length !== 2 || shapeB.length !== 2)
      throw new ModelBuildError('INVALID_ADAPTER', `${file.path}: ${a} and ${b} must be matrices`);
    if (file.floatFormat(a) === undefined || file.floatFormat(b) === undefined)
      throw new ModelBuildError('INVALID_ADAPTER', `${file.path}: ${a} / ${b} must be F32, F16 or BF16`);
    const rank = shapeA[0]!;
    if (shapeB[1] !== rank)
      throw new ModelBuildError(
        'INVALID_ADAPTER',
        `${file.path}: rank mismatch in ${module}: ${a} is [${shapeA.join(', ')}], ${b} is [${shapeB.join(', ')}]`,
      );
    const expectedRank = patternValue(config.rankPattern, module) ?? config.r;
    if (rank !== expectedRank) {
      throw new ModelBuildError(
        'INVALID_ADAPTER',
        `${file.path}: rank mismatch: ${a} has rank ${rank}, adapter_config.json says ${expectedRank} for ${module}`,
      );
    }
    const alpha = patternValue(config.alphaPattern, module) ?? config.alpha;
    const scale = config.useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    modules.set(`${module}.weight`, { baseWeight: `${module}.weight`, a, b, rank, scale });
  }
  return modules;
}

/**
 * Checks an adapter against the base checkpoint before anything is written: each adapted module
 * must be a linear weight of the base, with `lora_A` `[r, in]` and `lora_B` `[out, r]` matching
 * its `[out, in]`. Errors name the adapter tensor (`INVALID_ADAPTER`).
 *
 * @example
 * validateLoraAdapter(adapter, checkpoint);
 */
export function validateLoraAdapter(adapter: LoraAdapter, base: Checkpoint): void {
  for (const m of adapter.modules.values()) {
    const shape = base.shapes.get(m.baseWeight);
    if (!shape) {
      const tied = m.baseWeight === 'lm_head.weight' && base.architecture.tieWordEmbeddings;
      throw new ModelBuildError(
        'INVALID_ADAPTER',
        tied
          ? `${adapter.path}: tensor ${m.a} adapts lm_head, which the base model ties to embed_tokens; merging it is not supported`
          : `${adapter.path}: tensor ${m.a} adapts ${m.baseWeight.replace(/\.weight$/, '')}, which the base model (${base.description}) does not have — unknown module or an adapter for a different base model`,
      );
    }
    if (shape.length !== 2)
      throw new ModelBuildError('INVALID_ADAPTER', `${adapter.path}: tensor ${m.a} adapts ${m.baseWeight}, which is not a linear layer`);
    const [out, inp] = shape as [number, number];
    const shapeA = adapter.file.entries.get(m.a)!.shape;
    const shapeB = adapter.file.entries.get(m.b)!.shape;
    if (shapeA[1] !== inp) {
      throw new ModelBuildError(
        'INVALID_ADAPTER',
        `${adapter.path}: tensor ${m.a} is [${shapeA.join(', ')}] but base ${m.baseWeight} is [${out}, ${inp}] (needs [${m.rank}, ${inp}]) — an adapter for a different base model?`,
      );
    }
    if (shapeB[0] !== out) {
      throw new ModelBuildError(
        'INVALID_ADAPTER',
        `${adapter.path}: tensor ${m.b} is [${shapeB.join(', ')}] but base ${m.baseWeight} is [${out}, ${inp}] (needs [${out}, ${m.rank}]) — an adapter for a different base model?`,
      );
    }
  }
}

/**
 * Adds one adapter's update to a base weight in place: `W += factor · scale · B·A` (`W` is
 * `[out, in]`). LLaMA projections are `nn.Linear`, for which PEFT itself ignores
 * `fan_in_fan_out`, so the update is never transposed here.
 *
 * @example
 * mergeLoraModule(w, adapter, adapter.modules.get('model.layers.0.self_attn.q_proj.weight')!, 1);
 */
export function mergeLoraModule(weight: Float32Array, adapter: LoraAdapter, module: LoraModule, factor: number): void {
  const a = adapter.file.readFloat32(module.a);
  const b = adapter.file.readFloat32(module.b);
  const r = module.rank;
  const inp = a.length / r;
  const out = b.length / r;
  const scale = Math.fround(module.scale * factor);
  const row = new Float64Array(inp);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k]!;
      if (bk === 0) continue;
      const offset = k * inp;
      for (let i = 0; i < inp; i++) row[i]! += bk * a[offset + i]!;
    }
    const base = o * inp;
    for (let i = 0; i < inp; i++) weight[base + i] = weight[base + i]! + Math.fround(scale * Math.fround(row[i]!));
  }
}
