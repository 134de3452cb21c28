import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync } from 'node:fs';
import hnswlib from 'hnswlib-node';
import { PRIVATE_FILE_MODE } from '../../knowledge/files/index.js';
import { temporaryName } from '../../model/files/index.js';

/**
 * One change to the HNSW file, as the main thread hands it to the index worker. Typed arrays
 * only, so the vectors are transferred, not copied.
 */
export interface IndexBuildJob {
  /** The index file to write (and, with `base: 'file'`, to start from). */
  file: string;
  dimension: number;
  m: number;
  efConstruction: number;
  /** hnswlib's level-assignment seed: a fixed seed and insertion order give the same graph. */
  seed: number;
  /** Start from the current file, or from an empty graph (first build, rebuild). */
  base: 'file' | 'empty';
  /**
   * With `base: 'file'`: copy the vectors of `keep` out of the file into a fresh graph instead of
   * editing it in place, which drops the elements earlier removals only marked deleted.
   */
  compact: boolean;
  /** Labels whose vectors a compaction copies over (live, neither removed nor re-added). */
  keep: Float64Array;
  /** Labels to mark deleted (ignored when compacting: they are simply not copied). */
  remove: Float64Array;
  /** Labels to add; an existing label gets its vector replaced. */
  addLabels: Float64Array;
  /** Row-major `addLabels.length × dimension` unit vectors. */
  addVectors: Float32Array;
}

export interface IndexBuildResult {
  /** Elements in the written graph, deleted ones included. */
  elements: number;
  bytes: number;
  sha256: string;
  /** Time spent in `addPoint`, ms. */
  addMs: number;
  durationMs: number;
}

/** Spare capacity when an index must grow, so a run of small ingests does not resize every time. */
const GROWTH = 1.25;

/**
 * Applies a job to the HNSW file: loads or creates the graph, marks removals deleted, adds (or
 * replaces) vectors, and writes the file atomically (temporary file, then rename). Synchronous and
 * CPU-bound (`addPoint` takes about 0.2 ms per 256-dimension vector), which is why the index runs it
 * in a worker thread; it is a plain function so it can also be called directly.
 *
 * @example
 * const result = runIndexBuild({ file, dimension: 256, m: 16, efConstruction: 200, seed: 100, base: 'empty', compact: false,
 *   keep: new Float64Array(), remove: new Float64Array(), addLabels, addVectors });
 */
export function runIndexBuild(job: IndexBuildJob): IndexBuildResult {
  const started = performance.now();
  const d = job.dimension;
  const adds = job.addLabels.length;
  if (job.addVectors.length !== adds * d) throw new Error(`${job.addVectors.length} vector values for ${adds} labels of dimension ${d}`);
  const fresh = (capacity: number) => {
    const index = new hnswlib.HierarchicalNSW('cosine', d);
    index.initIndex({ maxElements: Math.max(1, Math.ceil(capacity)), m: job.m, efConstruction: job.efConstruction, randomSeed: job.seed });
    return index;
  };

  let index: hnswlib.HierarchicalNSW;
  if (job.base === 'empty') {
    index = fresh(adds);
  } else {
    const old = new hnswlib.HierarchicalNSW('cosine', d);
    old.readIndexSync(job.file);
    if (job.compact) {
      index = fresh((job.keep.length + adds) * GROWTH);
      for (const label of job.keep) index.addPoint(old.getPoint(label), label);
    } else {
      index = old;
      for (const label of job.remove) index.markDelete(label);
    }
  }
  const needed = index.getCurrentCount() + adds;
  if (needed > index.getMaxElements()) index.resizeIndex(Math.ceil(needed * GROWTH));

  const addStarted = performance.now();
  for (let i = 0; i < adds; i++) {
    // hnswlib-node takes plain arrays only.
    index.addPoint(Array.from(job.addVectors.subarray(i * d, (i + 1) * d)), job.addLabels[i]!);
  }
  const addMs = performance.now() - addStarted;

  const temp = temporaryName(job.file);
  try {
    index.writeIndexSync(temp);
    // hnswlib creates it 0644; the graph is derived from the store's private contents.
    chmodSync(temp, PRIVATE_FILE_MODE);
    const bytes = readFileSync(temp);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    renameSync(temp, job.file);
    return { elements: index.getCurrentCount(), bytes: bytes.length, sha256, addMs, durationMs: performance.now() - started };
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
