import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/** GGUF metadata value types (gguf.h `gguf_type`). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

/** The ggml tensor types this writer knows the block sizes of (`ggml_type`). */
export const GgmlType = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Elements per block and bytes per block of each {@link GgmlType}. */
const BLOCKS: Record<GgmlType, { elements: number; bytes: number }> = {
  [GgmlType.F32]: { elements: 1, bytes: 4 },
  [GgmlType.F16]: { elements: 1, bytes: 2 },
  [GgmlType.Q4_0]: { elements: 32, bytes: 18 },
  [GgmlType.Q8_0]: { elements: 32, bytes: 34 },
};

/** A typed metadata value: a scalar, a string, or an array of one scalar/string type. */
export type GgufValue =
  | { type: Exclude<GgufValueType, 8 | 9>; value: number | bigint | boolean }
  | { type: 8; value: string }
  | { type: 9; itemType: Exclude<GgufValueType, 9>; value: ReadonlyArray<number | bigint | boolean | string> };

/** A tensor to write: its bytes are produced when its turn comes, so one is in memory at a time. */
export interface GgufTensorSlot {
  name: string;
  /** ggml order: `dims[0]` is the contiguous one (a row-major `[rows, cols]` matrix is `[cols, rows]`). */
  dims: readonly number[];
  type: GgmlType;
  produce(): Uint8Array;
}

/** A tensor as read back: where its bytes are in the file. */
export interface GgufTensorInfo {
  name: string;
  dims: number[];
  type: number;
  /** Absolute byte offset in the file, and byte length. */
  offset: number;
  byteLength: number;
}

/** A GGUF file's header as read back. */
export interface GgufHeader {
  version: number;
  alignment: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
}

const MAGIC = 0x46554747; // "GGUF" little-endian
const VERSION = 3;
const DEFAULT_ALIGNMENT = 32;

/**
 * Bytes of a tensor of `type` and ggml `dims` (the first dimension must be a whole number of blocks).
 *
 * @example
 * ggmlByteLength(GgmlType.Q8_0, [576, 49152]); // 576 / 32 · 34 · 49152
 */
export function ggmlByteLength(type: GgmlType, dims: readonly number[]): number {
  const block = BLOCKS[type];
  if (block === undefined) throw new Error(`unknown ggml type ${type}`);
  if (dims[0]! % block.elements !== 0) throw new Error(`a ${dims[0]}-wide row is not a whole number of ${block.elements}-element blocks`);
  return (dims.reduce((a, b) => a * b, 1) / block.elements) * block.bytes;
}

/**
 * Writes a GGUF v3 file (llama.cpp's model container): header, metadata, tensor infos, then each
 * tensor's data aligned to `general.alignment` (32 unless the metadata sets it), streamed slot by slot.
 *
 * @example
 * writeGgufFile('m.gguf', new Map([['general.architecture', { type: GgufValueType.STRING, value: 'llama' }]]), slots);
 */
export function writeGgufFile(path: string, metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensorSlot[]): void {
  const alignedValue = metadata.get('general.alignment');
  const alignment = alignedValue && alignedValue.type !== 9 ? Number(alignedValue.value) : DEFAULT_ALIGNMENT;
  const head = new ByteWriter();
  head.u32(MAGIC);
  head.u32(VERSION);
  head.u64(tensors.length);
  head.u64(metadata.size);
  for (const [key, value] of metadata) {
    head.string(key);
    head.u32(value.type);
    if (value.type === GgufValueType.ARRAY) {
      head.u32(value.itemType);
      head.u64(value.value.length);
      for (const item of value.value) head.scalar(value.itemType, item);
    } else head.scalar(value.type, value.value);
  }
  const lengths = tensors.map((t) => ggmlByteLength(t.type, t.dims));
  let offset = 0;
  for (const [i, t] of tensors.entries()) {
    head.string(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    offset = align(offset + lengths[i]!, alignment);
  }
  const fd = openSync(path, 'w');
  try {
    const header = head.finish();
    const dataStart = align(header.length, alignment);
    writeAll(fd, header, 0);
    let at = 0;
    let end = 0;
    for (const [i, t] of tensors.entries()) {
      const bytes = t.produce();
      if (bytes.length !== lengths[i]) throw new Error(`tensor ${t.name}: produced ${bytes.length} bytes, expected ${lengths[i]}`);
      writeAll(fd, bytes, dataStart + at);
      end = at + bytes.length;
      at = align(end, alignment);
    }
    // The data section is padded at its end too: llama.cpp reads every tensor's aligned size.
    if (at > end) writeAll(fd, new Uint8Array(at - end), dataStart + end);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a GGUF file's header: version, metadata and where each tensor's bytes are.
 *
 * @example
 * readGgufHeader('m.gguf').metadata.get('general.architecture'); // { type: 8, value: 'llama' }
 */
export function readGgufHeader(path: string): GgufHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const r = new ByteReader(fd, size);
    if (r.u32() !== MAGIC) throw new Error(`${path} is not a GGUF file`);
    const version = r.u32();
    const tensorCount = r.u64();
    const metadataCount = r.u64();
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < metadataCount; i++) {
      const key = r.string();
      const type = r.u32() as GgufValueType;
      if (type === GgufValueType.ARRAY) {
        const itemType = r.u32() as Exclude<GgufValueType, 9>;
        const n = r.u64();
        const value = Array.from({ length: n }, () => r.scalar(itemType));
        metadata.set(key, { type, itemType, value });
      } else metadata.set(key, { type, value: r.scalar(type) } as GgufValue);
    }
    const alignedValue = metadata.get('general.alignment');
    const alignment = alignedValue && alignedValue.type !== 9 ? Number(alignedValue.value) : DEFAULT_ALIGNMENT;
    const infos: Array<Omit<GgufTensorInfo, 'byteLength'> & { relative: number }> = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = r.string();
      const nDims = r.u32();
      const dims = Array.from({ length: nDims }, () => r.u64());
      const type = r.u32();
      infos.push({ name, dims, type, offset: 0, relative: r.u64() });
    }
    const dataStart = align(r.position, alignment);
    const tensors = infos.map(({ relative, ...t }) => ({
      ...t,
      offset: dataStart + relative,
      byteLength: ggmlByteLength(t.type as GgmlType, t.dims),
    }));
    for (const t of tensors) if (t.offset + t.byteLength > size) throw new Error(`${path}: tensor ${t.name} runs past the end of the file`);
    return { version, alignment, metadata, tensors };
  } finally {
    closeSync(fd);
  }
}

function align(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Little-endian header bytes, grown as needed. */
class ByteWriter {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  private at = 0;

  u32(v: number): void {
    this.room(4).setUint32(this.at, v, true);
    this.at += 4;
  }

  u64(v: number | bigint): void {
    this.room(8).setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
  }

  string(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.u64(bytes.length);
    this.room(bytes.length);
    this.buffer.set(bytes, this.at);
    this.at += bytes.length;
  }

  scalar(type: Exclude<GgufValueType, 9>, v: number | bigint | boolean | string): void {
    const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    const view = () => this.room(8);
    switch (type) {
      case GgufValueType.STRING:
        this.string(String(v));
        return;
      case GgufValueType.UINT8:
      case GgufValueType.BOOL:
        view().setUint8(this.at, Number(n));
        this.at += 1;
        return;
      case GgufValueType.INT8:
        view().setInt8(this.at, Number(n));
        this.at += 1;
        return;
      case GgufValueType.UINT16:
        view().setUint16(this.at, Number(n), true);
        this.at += 2;
        return;
      case GgufValueType.INT16:
        view().setInt16(this.at, Number(n), true);
        this.at += 2;
        return;
      case GgufValueType.UINT32:
        this.u32(Number(n));
        return;
      case GgufValueType.INT32:
        view().setInt32(this.at, Number(n), true);
        this.at += 4;
        return;
      case GgufValueType.FLOAT32:
        view().setFloat32(this.at, Number(n), true);
        this.at += 4;
        return;
      case GgufValueType.UINT64:
        this.u64(BigInt(n));
        return;
      case GgufValueType.INT64:
        view().setBigInt64(this.at, BigInt(n), true);
        this.at += 8;
        return;
      case GgufValueType.FLOAT64:
        view().setFloat64(this.at, Number(n), true);
        this.at += 8;
        return;
    }
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.at);
  }

  private room(n: number): DataView {
    if (this.at + n > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.at + n));
      grown.set(this.buffer);
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    return this.view;
  }
}

/** Reads a file's header fields in order (the header is read in 1 MiB windows). */
class ByteReader {
  position = 0;
  private window = new Uint8Array(0);
  private windowStart = 0;

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {}

  u32(): number {
    return this.view(4).getUint32(0, true);
  }

  u64(): number {
    return Number(this.view(8).getBigUint64(0, true));
  }

  string(): string {
    const n = this.u64();
    return new TextDecoder().decode(this.bytes(n));
  }

  scalar(type: Exclude<GgufValueType, 9>): number | bigint | boolean | string {
    switch (type) {
      case GgufValueType.STRING:
        return this.string();
      case GgufValueType.UINT8:
        return this.view(1).getUint8(0);
      case GgufValueType.BOOL:
        return this.view(1).getUint8(0) !== 0;
      case GgufValueType.INT8:
        return this.view(1).getInt8(0);
      case GgufValueType.UINT16:
        return this.view(2).getUint16(0, true);
      case GgufValueType.INT16:
        return this.view(2).getInt16(0, true);
      case GgufValueType.UINT32:
        return this.u32();
      case GgufValueType.INT32:
        return this.view(4).getInt32(0, true);
      case GgufValueType.FLOAT32:
        return this.view(4).getFloat32(0, true);
      case GgufValueType.UINT64:
        return this.view(8).getBigUint64(0, true);
      case GgufValueType.INT64:
        return this.view(8).getBigInt64(0, true);
      case GgufValueType.FLOAT64:
        return this.view(8).getFloat64(0, true);
      default:
        throw new Error(`unknown GGUF value type ${type as number}`);
    }
  }

  private view(n: number): DataView {
    const b = this.bytes(n);
    return new DataView(b.buffer, b.byteOffset, n);
  }

  private bytes(n: number): Uint8Array {
    if (this.position + n > this.size) throw new Error(`the GGUF header runs past the end of the file (byte ${this.position + n})`);
    if (this.position < this.windowStart || this.position + n > this.windowStart + this.window.length) {
      this.windowStart = this.position;
      this.window = new Uint8Array(Math.min(Math.max(n, 1 << 20), this.size - this.position));
      for (let done = 0; done < this.window.length; ) {
        const got = readSync(this.fd, this.window, done, this.window.length - done, this.windowStart + done);
        if (got === 0) break;
        done += got;
      }
    }
    const from = this.position - this.windowStart;
    this.position += n;
    return this.window.subarray(from, from + n);
  }
}
