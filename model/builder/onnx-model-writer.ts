import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import onnxProto from 'onnx-proto';
import { ModelBuildError } from './errors.js';
import type { OnnxGraph } from './onnx-graph.js';

const { onnx } = onnxProto;

/** protobuf messages cannot exceed 2 GiB; stay clear of it. */
const PROTOBUF_LIMIT = 2 ** 31 - 64 * 1024 * 1024;
/** External-data offsets are aligned so onnxruntime can map tensors straight from the file. */
const ALIGNMENT = 4096;
/**
 * `auto` keeps weights inside the `.onnx` only below this: onnxruntime memory-maps external data
 * when it loads a session from the file path, but copies weights parsed out of the protobuf.
 */
export const INLINE_WEIGHTS_LIMIT = 64 * 2 ** 20;

/** Options of {@link writeOnnxModel}. */
export interface OnnxModelWriteOptions {
  /** Where the `.onnx` file goes; external data, when used, is `<name>_data` beside it. */
  path: string;
  graph: OnnxGraph;
  /** Operator sets, e.g. `{ '': 17, 'com.microsoft': 1 }`. */
  opsets: Record<string, number>;
  /**
   * `auto`: weights in `<name>_data` when they pass {@link INLINE_WEIGHTS_LIMIT} (64 MiB), inside
   * the `.onnx` file otherwise; `always` / `never` force it (`never` fails past protobuf's 2 GiB).
   * Default `auto`.
   */
  externalData?: 'auto' | 'always' | 'never';
  /** Called after each weight is written with bytes done and total. */
  onWeight?: (done: number, total: number, name: string) => void;
  /** Checked between weights; an abort throws `ABORTED`. */
  signal?: AbortSignal;
  producerVersion?: string;
}

/** What {@link writeOnnxModel} wrote. */
export interface OnnxModelWriteResult {
  /** Bytes of weights. */
  weightBytes: number;
  /** The external data file, when weights are external. */
  externalDataFile: string | undefined;
}

/**
 * Writes an ONNX model whose large initializers are streamed: each weight slot is produced, written
 * to `<name>_data` and dropped, so only one weight is in memory at a time. Small models are then
 * re-assembled into a single `.onnx` (the protobuf is concatenated by hand around the encoded
 * graph: a repeated field may be split, so the slots' TensorProtos follow the encoded graph body);
 * larger ones keep the data file and reference it (`data_location = EXTERNAL`), page-aligned.
 *
 * @example
 * await writeOnnxModel({ path: 'out/onnx/model.onnx', graph, opsets: { '': 17 } });
 */
export async function writeOnnxModel(options: OnnxModelWriteOptions): Promise<OnnxModelWriteResult> {
  const { path, graph } = options;
  const dataName = `${basename(path)}_data`;
  const dataPath = join(dirname(path), dataName);
  const weightBytes = graph.weights.reduce((n, w) => n + w.byteLength, 0);
  // With the alignment padding each weight may need: what decides whether they fit inside the .onnx.
  const total = weightBytes + graph.weights.length * ALIGNMENT;
  const external = options.externalData === 'always' || (options.externalData !== 'never' && total > INLINE_WEIGHTS_LIMIT);
  if (!external && total > PROTOBUF_LIMIT)
    throw new ModelBuildError(
      'INVALID_OPTIONS',
      `weights of ${total} bytes cannot be stored inside the .onnx file (protobuf's 2 GiB limit); use external data`,
    );

  const placed: Array<{ offset: number; length: number }> = [];
  const fd = openSync(dataPath, 'w');
  let offset = 0;
  let done = 0;
  try {
    for (const slot of graph.weights) {
      // Let signal handlers (Ctrl-C → abort) and progress output run between weights.
      await yieldToEventLoop();
      if (options.signal?.aborted) throw new ModelBuildError('ABORTED', 'the build was cancelled');
      const bytes = slot.produce();
      if (bytes.byteLength !== slot.byteLength)
        throw new Error(`weight ${slot.name}: produced ${bytes.byteLength} bytes, expected ${slot.byteLength}`);
      offset = Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
      writeAll(fd, bytes, offset);
      placed.push({ offset, length: bytes.byteLength });
      offset += bytes.byteLength;
      done += bytes.byteLength;
      // Progress counts weight bytes alone, so the last weight reports done = total.
      options.onWeight?.(done, weightBytes, slot.name);
    }
  } finally {
    closeSync(fd);
  }

  const model = (graphProto: onnxProto.onnx.IGraphProto | undefined): onnxProto.onnx.IModelProto => ({
    irVersion: 8,
    producerName: 'galen-model-builder',
    producerVersion: options.producerVersion ?? '1',
    opsetImport: Object.entries(options.opsets).map(([domain, version]) => ({ domain, version })),
    ...(graphProto ? { graph: graphProto } : {}),
  });

  if (external) {
    const initializers = graph.weights.map((w, i) => ({
      name: w.name,
      dims: w.dims,
      dataType: w.dataType,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: dataName },
        { key: 'offset', value: String(placed[i]!.offset) },
        { key: 'length', value: String(placed[i]!.length) },
      ],
    }));
    const bytes = onnx.ModelProto.encode(model(graph.toGraphProto(initializers))).finish();
    const out = openSync(path, 'w');
    try {
      writeAll(out, bytes, 0);
    } finally {
      closeSync(out);
    }
    return { weightBytes: done, externalDataFile: dataPath };
  }

  // Inline: ModelProto(without graph) ‖ field 7 { GraphProto(without slots) ‖ field 5 { TensorProto } … }.
  const head = onnx.ModelProto.encode(model(undefined)).finish();
  const graphBody = onnx.GraphProto.encode(graph.toGraphProto()).finish();
  const tensorHeads = graph.weights.map((w) => onnx.TensorProto.encode({ name: w.name, dims: w.dims, dataType: w.dataType }).finish());
  const tensorLengths = graph.weights.map((w, i) => tensorHeads[i]!.length + fieldHeaderLength(9, w.byteLength) + w.byteLength);
  const graphLength = graphBody.length + tensorLengths.reduce((n, l) => n + fieldHeaderLength(5, l) + l, 0);
  const out = openSync(path, 'w');
  const input = openSync(dataPath, 'r');
  try {
    let at = 0;
    const put = (bytes: Uint8Array) => {
      writeAll(out, bytes, at);
      at += bytes.byteLength;
    };
    put(head);
    put(fieldHeader(7, graphLength));
    put(graphBody);
    const chunk = Buffer.allocUnsafe(64 * 1024 * 1024);
    for (const [i, w] of graph.weights.entries()) {
      put(fieldHeader(5, tensorLengths[i]!));
      put(tensorHeads[i]!);
      put(fieldHeader(9, w.byteLength));
      for (let copied = 0; copied < w.byteLength; ) {
        const n = readSync(input, chunk, 0, Math.min(chunk.length, w.byteLength - copied), placed[i]!.offset + copied);
        put(chunk.subarray(0, n));
        copied += n;
      }
    }
  } finally {
    closeSync(out);
    closeSync(input);
  }
  rmSync(dataPath);
  return { weightBytes: done, externalDataFile: undefined };
}

/** Tag (length-delimited wire type) and length prefix of a protobuf field. */
function fieldHeader(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varint((field << 3) | 2), ...varint(length)]);
}

function fieldHeaderLength(field: number, length: number): number {
  return varint((field << 3) | 2).length + varint(length).length;
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

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
}
