import { join } from 'node:path';
import { ensureMergedModel, loadLanguageModel, OpenAiCompatibleModel, type LanguageModel } from '../../model/index.js';
import type { GalenConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';

/**
 * The configured generator, loaded with every `model.*` setting, or `undefined` for extractive
 * answers: `model.path` as given, or `model.base` merged with its LoRA adapters into a cached build
 * under `<dataDir>/models` (built once per content hash, with progress in the log). The server and
 * `galen ask` both load through here, so they answer with the same model.
 *
 * @example
 * const model = await loadConfiguredModel(config, logger); // undefined → extractive answers
 */
export async function loadConfiguredModel(config: GalenConfig, logger: Logger): Promise<LanguageModel | undefined> {
  if (config.model.backend === 'openai-compatible') return openUpstreams(config, logger);
  const dir = await resolveModelDirectory(config, logger);
  if (!dir) return undefined;
  const model = await loadLanguageModel(dir, {
    executionProvider: config.model.executionProvider,
    deviceId: config.model.cudaDeviceId,
    allowCpuFallback: config.model.allowCpuFallback,
    onWarning: (message) => logger.warn({ dir }, message),
    maxBatchSize: config.model.maxBatchSize,
    maxQueuedRequests: config.model.maxQueuedRequests,
    prefillChunkTokens: config.model.prefillChunkTokens,
    ...(config.model.contextWindow ? { contextWindow: config.model.contextWindow } : {}),
  });
  const { executionProvider, contextWindow, modelType } = model.info;
  logger.info({ dir, modelType, executionProvider, contextWindow, kvOutputs: model.kvOutputs }, 'generator loaded');
  // Such graphs run, but every step copies the whole cache out of onnxruntime.
  if (model.kvOutputs === 'present')
    logger.warn({ dir }, "the model's present.* outputs are not Concat(past, new): each decode step fetches the whole KV cache (slower)");
  return model;
}

/**
 * The generator's model directory: `model.path` as given, or `model.base` merged with its LoRA
 * adapters into a cached build under `<dataDir>/models` (built once per content hash, with progress
 * in the log). None: extractive answers.
 */
async function resolveModelDirectory(config: GalenConfig, logger: Logger): Promise<string | undefined> {
  if (config.model.path) return config.model.path;
  const { base, adapters, loraScale, tokenizer } = config.model;
  if (!base) return undefined;
  let lastPercent = -25;
  const merged = await ensureMergedModel({
    base,
    adapters,
    scale: loraScale,
    ...(tokenizer ? { tokenizer } : {}),
    cacheDir: join(config.dataDir, 'models'),
    onProgress: (p) => {
      const percent = Math.floor((100 * p.doneBytes) / Math.max(1, p.totalBytes));
      if (percent >= lastPercent + 25) {
        lastPercent = percent;
        logger.info({ percent, base, adapters: adapters.length }, 'building the merged model');
      }
    },
    onWarning: (message) => logger.warn({ base }, message),
  });
  logger.info(
    { dir: merged.dir, key: merged.key.slice(0, 16), built: merged.built, adapters: adapters.length },
    merged.built ? 'merged model built' : 'merged model found in the cache',
  );
  return merged.dir;
}

/** The `openai-compatible` backend over `upstream.*`, logged with each engine's health. */
async function openUpstreams(config: GalenConfig, logger: Logger): Promise<LanguageModel> {
  const u = config.upstream;
  const model = await OpenAiCompatibleModel.open({
    urls: u.urls,
    ...(u.model ? { model: u.model } : {}),
    ...(u.apiKey ? { apiKey: u.apiKey } : {}),
    ...(u.contextWindow ? { contextWindow: u.contextWindow } : {}),
    ...(u.tokenizer ? { tokenizer: u.tokenizer } : {}),
    api: u.api,
    firstTokenTimeoutMs: u.firstTokenTimeoutMs,
    idleTimeoutMs: u.idleTimeoutMs,
    maxConcurrent: u.maxConcurrent,
    retries: u.retries,
    breakerFailures: u.breakerFailures,
    breakerCooldownMs: u.breakerCooldownMs,
  });
  const health = await model.health();
  logger.info(
    {
      backend: 'openai-compatible',
      model: model.modelId,
      contextWindow: model.contextWindow,
      tokenCount: model.tokenCountSource,
      upstreams: health.map((h) => ({ url: h.url, ok: h.ok })),
    },
    'generator: openai-compatible upstreams',
  );
  for (const h of health) if (!h.ok) logger.warn({ url: h.url, error: h.error }, 'an upstream does not answer /v1/models');
  return model;
}
