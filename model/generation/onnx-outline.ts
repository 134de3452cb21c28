import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ModelError } from './errors.js';

/** `ModelProto.graph` and the `GraphProto` fields holding weights (`initializer`, `sparse_initializer`). */
const MODEL_GRAPH = 7;
const INITIALIZER = 5;
const WEIGHT_FIELDS = new Set([INITIALIZER, 15]);
/** The `TensorProto` fields an initializer keeps in the outline: `dims`, `data_type`, `name`. */
const TENSOR_HEAD_FIELDS = new Set([1, 2, 8]);
/** Bytes read from the file at a time. */
const WINDOW = 1024 * 1024;
/** Bytes read at a time for an initializer's head (its data, after it, is skipped). */
const HEAD_WINDOW = 4096;

/**
 * An `.onnx` file's `ModelProto` without its weights' data: the nodes, inputs, outputs, metadata and
 * each initializer's name, element type and dims, re-assembled from the file's own bytes while every
 * weight's data is skipped by seeking past it, so reading the graph of a model whose weights sit
 * inside the file costs no more memory than one of external data. Decodes as a `ModelProto`
 * (repeated `graph` fields merge, as protobuf parsers do).
 *
 * @example
 * const graph = onnx.ModelProto.decode(readOnnxOutline('m/onnx/model.onnx')).graph;
 */
export function readOnnxOutline(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const reader = new PositionalReader(fd, fstatSync(fd).size, path);
    const heads = new PositionalReader(fd, reader.length, path, HEAD_WINDOW);
    const parts: Uint8Array[] = [];
    for (const field of reader.fields(0, reader.length)) {
      if (field.number !== MODEL_GRAPH || field.wireType !== 2) {
        parts.push(reader.bytes(field.start, field.end - field.start));
        continue;
      }
      const kept: Uint8Array[] = [];
      for (const inner of reader.fields(field.valueStart, field.end)) {
        if (inner.number === INITIALIZER && inner.wireType === 2) kept.push(tensorHead(heads, inner));
        else if (!WEIGHT_FIELDS.has(inner.number)) kept.push(reader.bytes(inner.start, inner.end - inner.start));
      }
      const body = concat(kept);
      parts.push(Uint8Array.from([...varint((MODEL_GRAPH << 3) | 2), ...varint(body.length)]), body);
    }
    return concat(parts);
  } finally {
    closeSync(fd);
  }
}

/** An `initializer` field re-encoded with only its {@link TENSOR_HEAD_FIELDS}. */
function tensorHead(reader: PositionalReader, field: Field): Uint8Array {
  const kept: Uint8Array[] = [];
  for (const inner of reader.fields(field.valueStart, field.end))
    if (TENSOR_HEAD_FIELDS.has(inner.number)) kept.push(reader.bytes(inner.start, inner.end - inner.start));
  const body = concat(kept);
  return concat([Uint8Array.from([...varint((INITIALIZER << 3) | 2), ...varint(body.length)]), body]);
}

interface Field {
  number: number;
  wireType: number;
  /** Where the tag starts, the value starts (after a length prefix) and the field ends. */
  start: number;
  valueStart: number;
  end: number;
}

/** Reads protobuf fields of a file by position, through a window, so skipped fields are never read. */
class PositionalReader {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  constructor(
    private readonly fd: number,
    readonly length: number,
    private readonly path: string,
    private readonly windowSize = WINDOW,
  ) {}

  *fields(from: number, to: number): Generator<Field> {
    let at = from;
    while (at < to) {
      const start = at;
      const [tag, afterTag] = this.varint(at);
      const wireType = tag % 8;
      const number = Math.floor(tag / 8);
      let valueStart = afterTag;
      let end: number;
      if (wireType === 0) end = this.varint(afterTag)[1];
      else if (wireType === 1) end = afterTag + 8;
      else if (wireType === 5) end = afterTag + 4;
      else if (wireType === 2) {
        const [length, afterLength] = this.varint(afterTag);
        valueStart = afterLength;
        end = afterLength + length;
      } else throw this.invalid(`unsupported protobuf wire type ${wireType} at byte ${start}`);
      if (end > to) throw this.invalid(`a field at byte ${start} runs past its message (byte ${to})`);
      yield { number, wireType, start, valueStart, end };
      at = end;
    }
  }

  bytes(position: number, length: number): Uint8Array {
    if (length > this.windowSize) return this.read(position, length);
    if (position < this.windowStart || position + length > this.windowStart + this.window.length) {
      this.windowStart = position;
      this.window = this.read(position, Math.min(this.windowSize, this.length - position));
    }
    const from = position - this.windowStart;
    return this.window.slice(from, from + length);
  }

  private varint(position: number): [number, number] {
    const bytes = this.bytes(position, Math.min(10, this.length - position));
    let value = 0;
    let scale = 1;
    for (let i = 0; i < bytes.length; i++) {
      value += (bytes[i]! & 0x7f) * scale;
      if (bytes[i]! < 0x80) return [value, position + i + 1];
      scale *= 128;
    }
    throw this.invalid(`a truncated varint at byte ${position}`);
  }

  private read(position: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const n = readSync(this.fd, out, done, length - done, position + done);
      if (n === 0) throw this.invalid(`the file ends at byte ${position + done}, inside a field`);
      done += n;
    }
    return out;
  }

  private invalid(what: string): ModelError {
    return new ModelError('INVALID_MODEL', `${this.path} is not an ONNX model: ${what}`);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A protobuf varint of a non-negative integer below 2^53. */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
