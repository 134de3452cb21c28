import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { LsaOptions } from '../../model/embedding/index.js';
import { writeFileAtomic } from '../../model/files/index.js';

/** The built-in embedder's model file inside a data directory. */
export const LSA_MODEL_FILE = 'lsa.model';
/** What the model was fitted on, to tell when the corpus has drifted enough to refit. */
export const LSA_STATE_FILE = 'lsa.state.json';

export const LsaState = z.object({
  format: z.literal('galen-lsa-state'),
  version: z.literal(1),
  /** `LsaEmbedder.id` of the model file this state describes. */
  modelId: z.string(),
  /** Chunks in the store when the model was fitted. */
  fittedChunks: z.number().int().nonnegative(),
  /** Largest chunk row id then: chunks above it were added since. */
  fittedMaxChunkId: z.number().int().nonnegative(),
  /** Texts the model was fitted on (an evenly spread sample when the store had more than the cap). */
  fittedTexts: z.number().int().nonnegative(),
  fittedAt: z.string(),
});
export type LsaState = z.infer<typeof LsaState>;

/** What the fit worker is given. */
export interface LsaFitJob {
  texts: string[];
  options: LsaOptions;
  /** Where the worker saves the fitted model. */
  file: string;
}

/**
 * The built-in embedder's files in a data directory.
 *
 * @example
 * lsaPaths('./data') // → { model: 'data/lsa.model', state: 'data/lsa.state.json' }
 */
export function lsaPaths(dataDir: string): { model: string; state: string } {
  return { model: join(dataDir, LSA_MODEL_FILE), state: join(dataDir, LSA_STATE_FILE) };
}

/**
 * The saved state, or `null` when missing or unusable (the caller refits or adopts the model).
 *
 * @example
 * const state = await readLsaState(lsaPaths(dataDir).state); // → { modelId: 'lsa-v1:…', fittedChunks: 53058, … } or null
 */
export async function readLsaState(file: string): Promise<LsaState | null> {
  try {
    return LsaState.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return null;
  }
}

/**
 * Writes the state atomically (temporary file, fsync, rename).
 *
 * @example
 * await writeLsaState(lsaPaths(dataDir).state, { format: 'galen-lsa-state', version: 1, modelId, fittedChunks, fittedMaxChunkId, fittedTexts, fittedAt });
 */
export async function writeLsaState(file: string, state: LsaState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * How far the store has moved from what the model was fitted on: chunks added since (row ids above
 * the fitted maximum) plus chunks removed since, over the chunks fitted on. SQLite may reuse the
 * largest row ids after a removal, so this is an estimate, exact for the usual append-and-remove.
 *
 * @example
 * corpusDrift(state, [1, 2, 3, 10, 11]) // fitted on ids 1–5 → 2 added + 2 removed over 5 = 0.8
 */
export function corpusDrift(state: Pick<LsaState, 'fittedChunks' | 'fittedMaxChunkId'>, chunkIds: Iterable<number>): number {
  let old = 0;
  let added = 0;
  for (const id of chunkIds) {
    if (id > state.fittedMaxChunkId) added++;
    else old++;
  }
  const removed = Math.max(0, state.fittedChunks - old);
  return (added + removed) / Math.max(1, state.fittedChunks);
}

/**
 * Indexes of `count` items spread evenly over `total` (all of them when `count ≥ total`):
 * a deterministic sample that follows the store's order of sources.
 *
 * @example
 * evenSample(10, 4) // → [0, 2, 5, 7]
 */
export function evenSample(total: number, count: number): number[] {
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * total) / count));
}
