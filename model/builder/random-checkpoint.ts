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
      fillNormal(out, (seed ^ hashName(name)) >>> 0, scale);
      return out;
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

/** mulberry32 uniforms through Box–Muller, two normals per pair (billions of draws for 1B models). */
function fillNormal(out: Float32Array, seed: number, scale: number): void {
  let a = seed;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < out.length; i += 2) {
    const r = scale * Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(angle);
  }
}
