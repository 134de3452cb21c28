import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { ModelBuildError } from './errors.js';
import { decodeFloats, encodeFloats, FLOAT_FORMAT_BYTES, type FloatFormat } from './float-formats.js';

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  name: string;
  /** safetensors dtype tag: `F32`, `F16`, `BF16`, `I64`, … */
  dtype: string;
  shape: number[];
  /** Absolute byte offset of the data in the file. */
  offset: number;
  byteLength: number;
}

/** safetensors dtype tags the builder decodes, and their float formats. */
const FLOAT_DTYPES: Readonly<Record<string, FloatFormat>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };
const DTYPE_BYTES: Readonly<Record<string, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Headers larger than this are refused as corrupt (real ones are kilobytes to a few megabytes). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * A safetensors file read lazily: the header (8-byte length + JSON) is parsed on open, each tensor
 * is read from its offset when asked for, so a checkpoint is never held in memory whole.
 *
 * @example
 * const file = SafetensorsFile.open('model.safetensors');
 * const w = file.readFloat32('model.norm.weight'); // Float32Array
 * file.close();
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
    readonly entries: ReadonlyMap<string, SafetensorsEntry>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /**
   * Opens and validates `path`: header JSON, every tensor's dtype, shape and byte range inside the
   * file. Errors: `INPUT_NOT_FOUND`, `INVALID_CHECKPOINT` naming the file and tensor.
   */
  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (cause) {
      throw new ModelBuildError('INPUT_NOT_FOUND', `cannot open ${path}: ${(cause as Error).message}`, { cause });
    }
    try {
      const size = fstatSync(fd).size;
      const bad = (what: string): never => {
        throw new ModelBuildError('INVALID_CHECKPOINT', `${path} is not a valid safetensors file: ${what}`);
      };
      if (size < 8) bad(`only ${size} bytes`);
      const lengthBytes = Buffer.alloc(8);
      readSync(fd, lengthBytes, 0, 8, 0);
      const headerLength = Number(lengthBytes.readBigUInt64LE(0));
      if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > size)
        bad(`header length ${headerLength} does not fit the ${size}-byte file`);
      const headerBytes = Buffer.alloc(headerLength);
      readSync(fd, headerBytes, 0, headerLength, 8);
      let header: unknown;
      try {
        header = JSON.parse(headerBytes.toString('utf8'));
      } catch (cause) {
        bad(`header is not JSON (${(cause as Error).message})`);
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('header is not a JSON object');
      const dataStart = 8 + headerLength;
      const entries = new Map<string, SafetensorsEntry>();
      let metadata: Record<string, string> = {};
      for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
        if (name === '__metadata__') {
          metadata = (raw ?? {}) as Record<string, string>;
          continue;
        }
        const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
        const bytes = typeof e?.dtype === 'string' ? DTYPE_BYTES[e.dtype] : undefined;
        if (bytes === undefined) bad(`tensor ${name} has unknown dtype ${JSON.stringify(e?.dtype)}`);
        const shape = e.shape;
        if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor ${name} has a bad shape`);
        const offsets = e.data_offsets;
        if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isInteger(d) && d >= 0))
          bad(`tensor ${name} has bad data_offsets`);
        const [begin, end] = offsets as [number, number];
        const count = (shape as number[]).reduce((a, b) => a * b, 1);
        if (end - begin !== count * bytes!)
          bad(`tensor ${name}: ${end - begin} bytes for shape [${(shape as number[]).join(', ')}] of ${e.dtype as string}`);
        if (dataStart + end > size)
          bad(`tensor ${name} ends at byte ${dataStart + end}, past the end of the ${size}-byte file (truncated?)`);
        entries.set(name, { name, dtype: e.dtype as string, shape: shape as number[], offset: dataStart + begin, byteLength: end - begin });
      }
      return new SafetensorsFile(path, fd, entries, metadata);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** The float format of a tensor, or undefined when it is not F32/F16/BF16. */
  floatFormat(name: string): FloatFormat | undefined {
    const e = this.entries.get(name);
    return e ? FLOAT_DTYPES[e.dtype] : undefined;
  }

  /** A tensor's raw bytes (little-endian, as stored). */
  readBytes(name: string): Buffer {
    const entry = this.entry(name);
    if (this.fd === undefined) throw new ModelBuildError('INVALID_OPTIONS', `${this.path} is closed`);
    const buffer = Buffer.allocUnsafe(entry.byteLength);
    let done = 0;
    // readSync reads at most 2 GiB per call.
    while (done < entry.byteLength) {
      const n = readSync(this.fd, buffer, done, Math.min(entry.byteLength - done, 1 << 30), entry.offset + done);
      if (n === 0) throw new ModelBuildError('INVALID_CHECKPOINT', `${this.path}: tensor ${name} is truncated`);
      done += n;
    }
    return buffer;
  }

  /** A float tensor (F32, F16 or BF16) as float32 values. */
  readFloat32(name: string): Float32Array {
    const entry = this.entry(name);
    const format = FLOAT_DTYPES[entry.dtype];
    if (format === undefined)
      throw new ModelBuildError('UNSUPPORTED', `${this.path}: tensor ${name} is ${entry.dtype}, not a float tensor (F32, F16, BF16)`);
    const bytes = this.readBytes(name);
    return decodeFloats(bytes, format);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private entry(name: string): SafetensorsEntry {
    const e = this.entries.get(name);
    if (!e) throw new ModelBuildError('INVALID_CHECKPOINT', `${this.path} has no tensor ${name}`);
    return e;
  }
}

/** A tensor to write with {@link writeSafetensors}. */
export interface SafetensorsTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Writes float tensors as a safetensors file in `format` (header JSON padded to 8 bytes, data in
 * the given order) — for test fixtures, shards and adapters.
 *
 * @example
 * writeSafetensors('a.safetensors', [{ name: 'w', shape: [2], data: new Float32Array([1, 2]) }], 'bfloat16');
 */
export function writeSafetensors(
  path: string,
  tensors: readonly SafetensorsTensor[],
  format: FloatFormat = 'float32',
  metadata: Record<string, string> = {},
): void {
  const dtype = Object.entries(FLOAT_DTYPES).find(([, f]) => f === format)![0];
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    const length = t.data.length * FLOAT_FORMAT_BYTES[format];
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const fd = openSync(path, 'w');
  try {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    writeAll(fd, prefix);
    writeAll(fd, Buffer.from(json, 'utf8'));
    for (const t of tensors) writeAll(fd, encodeFloats(t.data, format));
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
}
