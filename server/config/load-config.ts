import { GalenError } from '../../errors/index.js';
import { readFileSync } from 'node:fs';
import { ConfigSchema, ENV_KEYS, type GalenConfig } from './config-schema.js';

/** A configuration value that failed validation; the message names the key and where it came from. */
export class ConfigError extends GalenError<'INVALID_CONFIG'> {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_CONFIG', message, options);
  }
}

export interface LoadConfigOptions {
  /** Environment to read `GALEN_*` from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** JSON config file; default `GALEN_CONFIG` from the environment, else none. */
  file?: string;
  /** Values that win over file and environment (command-line flags), as partial config. */
  overrides?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/**
 * Builds the configuration from defaults ← config file ← `GALEN_*` environment ← flags, and
 * validates it. Any bad value stops start-up with a message naming the variable or key.
 *
 * @example
 * const config = loadConfig({ overrides: { dataDir: '/var/lib/galen' } });
 */
export function loadConfig(options: LoadConfigOptions = {}): GalenConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.GALEN_CONFIG;
  const origins = new Map<string, string>();
  let merged: Json = {};

  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`Cannot read the config file ${file}: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`The config file ${file} must hold a JSON object.`);
    }
    merged = deepMerge(merged, parsed as Json);
  }

  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = spec.type === 'number' ? parseNumber(raw) : spec.type === 'boolean' ? parseBoolean(raw) : raw;
    merged = deepMerge(merged, nest(spec.path, value));
    origins.set(spec.path.join('.'), name);
  }
  if (options.overrides) merged = deepMerge(merged, options.overrides);

  const result = ConfigSchema.safeParse(merged);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.');
    const from = origins.get(key) ?? (file ? `${key} in ${file}` : key);
    const where = origins.has(key) ? `${from} (${key})` : from || 'config';
    const got = origins.has(key) ? `; got ${JSON.stringify(env[origins.get(key)!])}` : '';
    return `${where}: ${issue.message}${got}`;
  });
  throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}

function parseNumber(raw: string): number | string {
  const n = Number(raw.trim());
  return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
}

function parseBoolean(raw: string): boolean | string {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return raw;
}

function nest(path: string[], value: unknown): Json {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Json;
}

function deepMerge(base: Json, extra: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
