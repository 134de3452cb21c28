import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** The HNSW graph file (hnswlib's own format) inside a data directory. */
export const VECTOR_INDEX_FILE = 'vectors.hnsw';
/** The live labels and their content keys (see {@link encodeLabels}). */
export const VECTOR_LABELS_FILE = 'vectors.labels';
/** The JSON meta file that says what the two files above hold and how to check them. */
export const VECTOR_META_FILE = 'vectors.meta.json';

export interface VectorIndexPaths {
  index: string;
  labels: string;
  meta: string;
}

export function vectorIndexPaths(dataDir: string): VectorIndexPaths {
  return { index: join(dataDir, VECTOR_INDEX_FILE), labels: join(dataDir, VECTOR_LABELS_FILE), meta: join(dataDir, VECTOR_META_FILE) };
}

const FileCheck = z.object({ bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type FileCheck = z.infer<typeof FileCheck>;

/** Version of the meta file and of the labels file's layout. */
export const VECTOR_META_VERSION = 1;

export const VectorIndexMeta = z.object({
  format: z.literal('galen-vectors'),
  version: z.literal(VECTOR_META_VERSION),
  /** The embedder whose vectors the index holds (`EmbeddingModel.id`). */
  embedderId: z.string(),
  dimension: z.number().int().positive(),
  space: z.literal('cosine'),
  m: z.number().int().positive(),
  efConstruction: z.number().int().positive(),
  efSearch: z.number().int().positive(),
  /** Live vectors (= chunks indexed). */
  count: z.number().int().nonnegative(),
  /** Elements in the HNSW graph, including ones marked deleted. */
  elements: z.number().int().nonnegative(),
  index: FileCheck,
  labels: FileCheck,
  updatedAt: z.string(),
});
export type VectorIndexMeta = z.infer<typeof VectorIndexMeta>;

/** Reads and validates the meta file; `null` when it is missing, an `Error` when it is unusable. */
export async function readMeta(file: string): Promise<VectorIndexMeta | null | Error> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return error as Error;
  }
  try {
    return VectorIndexMeta.parse(JSON.parse(text));
  } catch (error) {
    return new Error(`malformed meta file: ${(error as Error).message.slice(0, 200)}`);
  }
}

/**
 * Size and SHA-256 of a file, streamed (the index file is tens of megabytes); `null` when missing.
 * With `hash: false` only the size is read and `sha256` is `null`.
 */
export async function checkFile(file: string, hash: false): Promise<{ bytes: number; sha256: null } | null>;
export async function checkFile(file: string, hash?: true): Promise<FileCheck | null>;
export async function checkFile(file: string, hashIt = true): Promise<{ bytes: number; sha256: string | null } | null> {
  try {
    const { size } = await stat(file);
    if (!hashIt) return { bytes: size, sha256: null };
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return { bytes: size, sha256: hash.digest('hex') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

const LABELS_MAGIC = Buffer.from('GALENVLB', 'ascii');

/**
 * The labels file: `GALENVLB`, a u32 LE version, a u32 LE count, then `count` float64 labels
 * (chunk row ids) and `count` float64 content keys, both little-endian. hnswlib cannot list its live
 * labels (its id list keeps deleted ones) nor say what content a vector came from, so both are kept
 * here; the content key lets a sync notice a row id that SQLite reused for a different chunk.
 *
 * @example
 * const bytes = encodeLabels(new Map([[1, 0x1234]]));
 */
export function encodeLabels(entries: ReadonlyMap<number, number>): Buffer {
  const count = entries.size;
  const head = Buffer.alloc(16);
  LABELS_MAGIC.copy(head, 0);
  head.writeUInt32LE(VECTOR_META_VERSION, 8);
  head.writeUInt32LE(count, 12);
  const labels = new Float64Array(count);
  const keys = new Float64Array(count);
  let i = 0;
  for (const [label, key] of [...entries].sort((a, b) => a[0] - b[0])) {
    labels[i] = label;
    keys[i++] = key;
  }
  return Buffer.concat([head, Buffer.from(labels.buffer), Buffer.from(keys.buffer)]);
}

/** Parses {@link encodeLabels}' output; throws a plain `Error` saying what is wrong. */
export function decodeLabels(bytes: Buffer): Map<number, number> {
  if (bytes.length < 16 || !bytes.subarray(0, 8).equals(LABELS_MAGIC)) throw new Error('not a labels file');
  if (bytes.readUInt32LE(8) !== VECTOR_META_VERSION) throw new Error(`labels file version ${bytes.readUInt32LE(8)}`);
  const count = bytes.readUInt32LE(12);
  if (bytes.length !== 16 + 16 * count) throw new Error('labels file size does not match its count');
  const copy = new Uint8Array(16 * count);
  copy.set(bytes.subarray(16));
  const labels = new Float64Array(copy.buffer, 0, count);
  const keys = new Float64Array(copy.buffer, 8 * count, count);
  const out = new Map<number, number>();
  for (let i = 0; i < count; i++) out.set(labels[i]!, keys[i]!);
  return out;
}
