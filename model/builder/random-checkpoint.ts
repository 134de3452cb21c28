import { SeededGaussian } from '../embedding/seeded-gaussian.js';
import { ModelBuildError } from './errors.js';
import { elementCount, type Checkpoint } from './checkpoint.js';
import { llamaWeightShapes, type LlamaArchitecture } from './llama-architecture.js';

/** Options of {@link randomCheckpoint}. */
export interface RandomCheckpointOptions {
  /** Seed of the generator; each tensor's stream also depends on its name. Default `1`. */
  seed?: number;
  /** Standard deviation of matrix entries. Default `0.02` (logits stay finite and unsaturated). */
  scale?: number;
  /** Name for messages. Default `random`. */
  description?: string;
}

/**
 * A checkpoint of seeded random weights for an architecture: matrices ~ N(0, scale²), norm
 * weights 1. The same seed gives the same bytes on every run (for benchmarks of real shapes
 * without real weights).
 *
 * @example
 * const ckpt = randomCheckpoint(MODEL_SHAPES['smollm2-135m']!, { seed: 7 });
 */
export function randomCheckpoint(architecture: LlamaArchitecture, options: RandomCheckpointOptions = {}): Checkpoint {
  const shapes = llamaWeightShapes(architecture);
  const seed = options.seed ?? 1;
  const scale = options.scale ?? 0.02;
  return {
    description: options.description ?? 'random',
    architecture,
    sourceConfig: {},
    shapes,
    files: [],
    read(name: string): Float32Array {
      const shape = shapes.get(name);
      if (!shape) throw new ModelBuildError('INVALID_CHECKPOINT', `random checkpoint has no tensor ${name}`);
      const out = new Float32Array(elementCount(shape));
      if (shape.length === 1) return out.fill(1);
      return new SeededGaussian((seed ^ hashName(name)) >>> 0).fill(out, scale);
    },
    close() {},
  };
}

/** FNV-1a of a tensor name, so each tensor has its own stream whatever the read order. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
