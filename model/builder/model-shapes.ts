import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ModelBuildError } from './errors.js';
import { parseLlamaArchitecture, type LlamaArchitecture } from './llama-architecture.js';

/**
 * Architectures of real models, by name, for random-weight builds (benchmarks): the published
 * `config.json` values of each.
 */
export const MODEL_SHAPES: Readonly<Record<string, LlamaArchitecture>> = {
  'smollm2-135m': {
    hiddenSize: 576,
    intermediateSize: 1536,
    numLayers: 30,
    numAttentionHeads: 9,
    numKeyValueHeads: 3,
    headDim: 64,
    vocabSize: 49152,
    maxPositionEmbeddings: 8192,
    ropeTheta: 100000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: true,
    bosTokenId: 1,
    eosTokenId: 2,
  },
  'tinyllama-1.1b': {
    hiddenSize: 2048,
    intermediateSize: 5632,
    numLayers: 22,
    numAttentionHeads: 32,
    numKeyValueHeads: 4,
    headDim: 64,
    vocabSize: 32000,
    maxPositionEmbeddings: 2048,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: false,
    bosTokenId: 1,
    eosTokenId: 2,
  },
  stories260k: {
    hiddenSize: 64,
    intermediateSize: 172,
    numLayers: 5,
    numAttentionHeads: 8,
    numKeyValueHeads: 4,
    headDim: 8,
    vocabSize: 512,
    maxPositionEmbeddings: 512,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: true,
    bosTokenId: 1,
    eosTokenId: 2,
  },
};

/**
 * Resolves `--shape`: a name of {@link MODEL_SHAPES} or the path of a `config.json`.
 *
 * @example
 * resolveModelShape('tinyllama-1.1b').numLayers; // 22
 */
export function resolveModelShape(shape: string): LlamaArchitecture {
  const named = MODEL_SHAPES[shape.toLowerCase()];
  if (named) return named;
  const file = resolve(shape);
  if (!existsSync(file)) {
    throw new ModelBuildError(
      'INPUT_NOT_FOUND',
      `unknown shape ${JSON.stringify(shape)}: not one of ${Object.keys(MODEL_SHAPES).join(', ')} and no such config.json`,
    );
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new ModelBuildError('INVALID_CHECKPOINT', `${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parseLlamaArchitecture(raw, file);
}
