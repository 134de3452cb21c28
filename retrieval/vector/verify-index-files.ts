import { checkFile, readMeta, vectorIndexPaths } from './index-files.js';

/** Whether the vector index files of a data directory match the checksums their meta file records. */
export interface VectorFilesCheck {
  /** `absent`: no index yet (nothing to check); `damaged`: the next open rebuilds it. */
  state: 'absent' | 'ok' | 'damaged';
  detail: string;
}

/**
 * Reads the vector index files of `dataDir` and compares their sizes and SHA-256 with the meta
 * file, as an open does, without loading or changing anything.
 *
 * @example
 * await verifyVectorIndexFiles('./data') // → { state: 'ok', detail: '118 vectors (lsa-v1:…)' }
 */
export async function verifyVectorIndexFiles(dataDir: string): Promise<VectorFilesCheck> {
  const paths = vectorIndexPaths(dataDir);
  const meta = await readMeta(paths.meta);
  const [index, labels] = await Promise.all([checkFile(paths.index), checkFile(paths.labels)]);
  if (meta === null) {
    return index === null ? { state: 'absent', detail: 'no vector index yet' } : { state: 'damaged', detail: `${paths.meta} is missing` };
  }
  if (meta instanceof Error) return { state: 'damaged', detail: `${paths.meta} is unusable (${meta.message})` };
  const same = (found: typeof index, expected: { bytes: number; sha256: string }) =>
    found !== null && found.bytes === expected.bytes && found.sha256 === expected.sha256;
  if (!same(index, meta.index)) return { state: 'damaged', detail: `${paths.index} is missing or does not match its checksum` };
  if (!same(labels, meta.labels)) return { state: 'damaged', detail: `${paths.labels} is missing or does not match its checksum` };
  return { state: 'ok', detail: `${meta.count} vectors (${meta.embedderId}), checksums match` };
}
