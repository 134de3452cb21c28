import { randomInt } from 'node:crypto';
import { ModelError } from './errors.js';
import type { GenerationConfig } from './model-directory.js';
import type { SamplingParameters } from './sampler.js';

/** Options of one generation. Every field is optional; defaults are listed per field. */
export interface GenerationOptions {
  /** Most tokens to generate. Default 256. */
  maxNewTokens?: number;
  /**
   * Sampling temperature; 0 = greedy argmax. Default: generation_config.json's `temperature` when
   * its `do_sample` is true (1 if it names none), else 0.
   */
  temperature?: number;
  /** Sample only among the k most likely tokens; 0 = off. Default: generation_config.json `top_k`, else 0. */
  topK?: number;
  /** Nucleus sampling mass in (0, 1]; 1 = off. Default: generation_config.json `top_p`, else 1. */
  topP?: number;
  /** Repetition penalty ≥ 1 over prompt and output tokens; 1 = off. Default: generation_config.json `repetition_penalty`, else 1. */
  repetitionPenalty?: number;
  /** Seed of the sampler's random generator: the same seed gives the same text. Default: random (reported in the result). */
  seed?: number;
  /**
   * Generation ends before any of these strings; it and what follows are not returned. Default
   * none (chat prompts rendered with the Alpaca fallback template add its section headers).
   */
  stop?: readonly string[];
  /** Extra token ids that end generation, besides the model's EOS ids. Default none. */
  eosTokenIds?: readonly number[];
  /** Aborts the generation within one decode step; its KV cache is dropped. Default none. */
  signal?: AbortSignal;
  /**
   * Context window in tokens (prompt + output). Default: the model's (`contextWindow` load option,
   * else config.json `max_position_embeddings`); larger values are refused.
   *
   * Truncation policy: the prompt may use `contextWindow − min(maxNewTokens, contextWindow / 2)`
   * tokens. A longer chat prompt loses its oldest messages first (system messages and the last
   * message are always kept); if still too long, or for text and token prompts, tokens are cut
   * after the leading part (BOS, and for chats the system text, at most half the budget) so that
   * the newest tokens (the latest question) are kept. The result reports it in `truncated`.
   * Generation also ends (`context-window`) when prompt + output fill the window.
   */
  contextWindow?: number;
  /**
   * Prompt tokens per prefill run; `Infinity` reads the whole prompt in one run, 1 token by token.
   * Default: the model's (`LoadOptions.prefillChunkTokens`, 256). Smaller chunks bound the memory
   * of one run and let other requests' decode steps run between chunks.
   */
  prefillChunkTokens?: number;
}

/** {@link GenerationOptions} with every default applied and checked. */
export interface ResolvedGenerationOptions {
  maxNewTokens: number;
  sampling: SamplingParameters;
  stop: readonly string[];
  eosTokenIds: ReadonlySet<number>;
  signal: AbortSignal | undefined;
  contextWindow: number;
  /** Undefined: the model's default. */
  prefillChunkTokens: number | undefined;
}

/** Default `maxNewTokens`. */
export const DEFAULT_MAX_NEW_TOKENS = 256;

/**
 * Applies defaults (from generation_config.json, then the documented constants) and validates;
 * a bad value is an `INVALID_OPTIONS` error naming it.
 *
 * @example
 * resolveGenerationOptions({ temperature: 0 }, genConfig, { eosTokenIds: [2], contextWindow: 512 }).sampling.temperature; // 0
 */
export function resolveGenerationOptions(
  options: GenerationOptions,
  generationConfig: GenerationConfig,
  model: { eosTokenIds: readonly number[]; contextWindow: number },
): ResolvedGenerationOptions {
  const sampleByDefault = generationConfig.doSample === true;
  const temperature = options.temperature ?? (sampleByDefault ? (generationConfig.temperature ?? 1) : 0);
  const seed = options.seed ?? randomInt(0, 2 ** 32);
  const resolved: ResolvedGenerationOptions = {
    maxNewTokens: options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    sampling: {
      temperature,
      topK: options.topK ?? generationConfig.topK ?? 0,
      topP: options.topP ?? generationConfig.topP ?? 1,
      repetitionPenalty: options.repetitionPenalty ?? generationConfig.repetitionPenalty ?? 1,
      seed,
    },
    stop: options.stop ?? [],
    eosTokenIds: new Set([...model.eosTokenIds, ...(options.eosTokenIds ?? [])]),
    signal: options.signal,
    contextWindow: options.contextWindow ?? model.contextWindow,
    prefillChunkTokens: options.prefillChunkTokens,
  };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new ModelError('INVALID_OPTIONS', what);
  };
  const { sampling: s } = resolved;
  check(
    Number.isInteger(resolved.maxNewTokens) && resolved.maxNewTokens >= 1,
    `maxNewTokens must be an integer ≥ 1 (got ${resolved.maxNewTokens})`,
  );
  check(Number.isFinite(s.temperature) && s.temperature >= 0, `temperature must be ≥ 0 (got ${s.temperature})`);
  check(Number.isInteger(s.topK) && s.topK >= 0, `topK must be an integer ≥ 0 (got ${s.topK})`);
  check(s.topP > 0 && s.topP <= 1, `topP must be in (0, 1] (got ${s.topP})`);
  check(Number.isFinite(s.repetitionPenalty) && s.repetitionPenalty > 0, `repetitionPenalty must be > 0 (got ${s.repetitionPenalty})`);
  check(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32, `seed must be an integer in [0, 2^32) (got ${seed})`);
  check(
    Number.isInteger(resolved.contextWindow) && resolved.contextWindow >= 2 && resolved.contextWindow <= model.contextWindow,
    `contextWindow must be an integer in [2, ${model.contextWindow}] (got ${resolved.contextWindow})`,
  );
  check(
    resolved.prefillChunkTokens === undefined ||
      resolved.prefillChunkTokens === Number.POSITIVE_INFINITY ||
      (Number.isInteger(resolved.prefillChunkTokens) && resolved.prefillChunkTokens >= 1),
    `prefillChunkTokens must be an integer ≥ 1 (got ${resolved.prefillChunkTokens})`,
  );
  check(
    resolved.stop.every((x) => typeof x === 'string'),
    'stop must be a list of strings',
  );
  return resolved;
}
