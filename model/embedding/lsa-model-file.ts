import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { EmbeddingError } from './errors.js';

/** File magic: 8 ASCII bytes. */
const MAGIC = Buffer.from('GALENLSA', 'ascii');
/** Bumped whenever the layout or the meaning of a stored array changes. */
export const LSA_FILE_VERSION = 1;
const DIGEST_BYTES = 32;

/** Everything a fitted LSA model is: what the file stores and the id is a hash of. */
export interface LsaParameters {
  /** The fitting options that shaped the model (kept for `galen` to show, and in the id). */
  options: Record<string, number>;
  /** Number of texts it was fitted on. */
  documents: number;
  /** Vocabulary, term id = position. */
  terms: string[];
  /** Smoothed inverse document frequency per term. */
  idf: Float32Array;
  /** Weight of each component in the embedding: (σₖ / σ₁) to the configured power; 0 for a zero σₖ. */
  componentWeights: Float32Array;
  /** Row-major `terms × dimension` projection (the top right singular vectors). */
  projection: Float32Array;
}

const Header = z.object({
  version: z.literal(LSA_FILE_VERSION),
  dimension: z.number().int().positive(),
  documents: z.number().int().nonnegative(),
  options: z.record(z.string(), z.number()),
  terms: z.array(z.string()),
});

/**
 * Serialises a model: `GALENLSA`, format version (u32 LE), header length (u32 LE), a JSON header
 * (version, dimension, documents, options, terms), zero padding to a multiple of 4, then the
 * float32 arrays idf, component weights and projection (little-endian), then the SHA-256 of all
 * bytes before it. The digest both detects corruption on load and names the model.
 *
 * @example
 * const { bytes, digest } = encodeLsaModel(parameters); // digest → 'lsa-v1:' + digest.slice(0, 16)
 */
export function encodeLsaModel(p: LsaParameters): { bytes: Buffer; digest: string } {
  const header = Buffer.from(
    JSON.stringify({
      version: LSA_FILE_VERSION,
      dimension: p.componentWeights.length,
      documents: p.documents,
      options: p.options,
      terms: p.terms,
    }),
    'utf8',
  );
  const prefix = Buffer.alloc(16);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(LSA_FILE_VERSION, 8);
  prefix.writeUInt32LE(header.length, 12);
  const padding = Buffer.alloc((4 - ((prefix.length + header.length) % 4)) % 4);
  const body = Buffer.concat([prefix, header, padding, floatBytes(p.idf), floatBytes(p.componentWeights), floatBytes(p.projection)]);
  const digest = createHash('sha256').update(body).digest();
  return { bytes: Buffer.concat([body, digest]), digest: digest.toString('hex') };
}

/**
 * Parses and verifies what {@link encodeLsaModel} wrote. Throws `INVALID_MODEL_FILE` for a wrong
 * magic, version, digest or size, so a truncated or overwritten file is never half-loaded.
 *
 * @example
 * const { parameters, digest } = decodeLsaModel(await readFile(file), file);
 */
export function decodeLsaModel(bytes: Buffer, name: string): { parameters: LsaParameters; digest: string } {
  const invalid = (why: string) => new EmbeddingError('INVALID_MODEL_FILE', `${name} is not a usable LSA model: ${why}.`);
  if (bytes.length < 16 + DIGEST_BYTES || !bytes.subarray(0, 8).equals(MAGIC)) throw invalid('not a Galen LSA file');
  const version = bytes.readUInt32LE(8);
  if (version !== LSA_FILE_VERSION) throw invalid(`format version ${version}, this Galen reads ${LSA_FILE_VERSION}`);
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) throw invalid('checksum mismatch (truncated or corrupted)');
  const headerLength = bytes.readUInt32LE(12);
  if (16 + headerLength > body.length) throw invalid('header runs past the end');
  let header: z.infer<typeof Header>;
  try {
    header = Header.parse(JSON.parse(body.subarray(16, 16 + headerLength).toString('utf8')));
  } catch (error) {
    throw new EmbeddingError('INVALID_MODEL_FILE', `${name} has a malformed header.`, { cause: error });
  }
  let offset = 16 + headerLength;
  offset += (4 - (offset % 4)) % 4;
  const v = header.terms.length;
  const d = header.dimension;
  if (body.length - offset !== 4 * (v + d + v * d)) throw invalid('array sizes do not match the header');
  const take = (count: number) => {
    const out = new Float32Array(count);
    Buffer.from(out.buffer).set(body.subarray(offset, offset + 4 * count));
    offset += 4 * count;
    return out;
  };
  const idf = take(v);
  const componentWeights = take(d);
  const projection = take(v * d);
  return {
    parameters: { options: header.options, documents: header.documents, terms: header.terms, idf, componentWeights, projection },
    digest: digest.toString('hex'),
  };
}

/** Reads a model file, mapping a missing file to `MODEL_FILE_NOT_FOUND`. */
export async function readModelFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EmbeddingError('MODEL_FILE_NOT_FOUND', `No LSA model file at ${file}.`, { cause: error });
    }
    throw error;
  }
}

function floatBytes(array: Float32Array): Buffer {
  // Node runs little-endian on every platform it supports, so the in-memory bytes are the file's.
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}
