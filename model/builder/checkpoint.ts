import type { LlamaArchitecture } from './llama-architecture.js';

/**
 * A LLaMA checkpoint opened for building: its architecture and weights in Hugging Face names and
 * layout (`[out, in]` matrices, rotate-half RoPE order for q/k), read one tensor at a time.
 */
export interface Checkpoint {
  /** What it was read from, for messages (a path, or `random smollm2-135m`). */
  readonly description: string;
  readonly architecture: LlamaArchitecture;
  /** The source `config.json` fields to carry over (empty for llama2c and random checkpoints). */
  readonly sourceConfig: Readonly<Record<string, unknown>>;
  /** Every weight the builder uses, with its shape (`llamaWeightShapes` of the architecture). */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** The files whose bytes define the weights (for content hashing); empty for random ones. */
  readonly files: readonly string[];
  /** A weight as float32 values, in a fresh array the caller may modify. */
  read(name: string): Float32Array;
  close(): void;
}

/**
 * Number of elements of a shape.
 *
 * @example
 * elementCount([32, 64]); // 2048
 */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
