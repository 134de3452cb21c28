import onnxProto from 'onnx-proto';
import { ModelError } from './errors.js';
import { layerKvNames, type PresentLayout } from './graph-signature.js';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;

/** A decoder graph with each layer's new keys and values made graph outputs. */
export interface ExposedNewKv {
  /**
   * The model bytes to load: the original with the extra outputs merged in; `undefined` when the
   * graph already outputs them all (Galen's builds), so the session is created from the file path.
   */
  bytes: Uint8Array | undefined;
  /** Per layer, the `[key, value]` output names holding only the run's new positions. */
  names: Array<[string, string]>;
}

/** What {@link inspectKvGraph} found. */
export interface KvGraph {
  presentLayout: PresentLayout;
  /**
   * Whether every `present.{i}.key|value` is output 1|2 of a GroupQueryAttention whose inputs 3|4
   * are `past_key_values.{i}.key|value` themselves: then the runtime binds each present output to
   * its past input's buffer, and onnxruntime writes the new positions in place
   * (past_present_share_buffer, as onnxruntime-genai runs such graphs).
   */
  sharedBuffer: boolean;
  /** With `expose`, for `'concat'` graphs whose Concat outputs `present.*` directly. */
  exposed: ExposedNewKv | undefined;
  /** See {@link rotaryTableLimit}; `undefined` when the graph computes its rotary angles itself. */
  rotaryPositions: RotaryTableLimit | undefined;
}

/** The fewest rows of the cos/sin tables the graph's rotary embeddings read, and the table with them. */
export interface RotaryTableLimit {
  /** Positions the graph can serve: a context window past them fails in onnxruntime. */
  positions: number;
  /** The initializer (or Constant output) holding them, e.g. `rotary.cos_cache`. */
  table: string;
}

/** Ops that hand their input on unchanged in position layout (walked through to find the producer). */
const PASS_THROUGH = new Set(['Identity', 'Cast']);

/**
 * Reads how the graph produces `present.{i}.key|value` and, with `expose`, makes the new keys and
 * values of every layer (the second input of the `Concat(past, new)` that produces `present.*`)
 * extra graph outputs, so a run can fetch `[batch, kvHeads, new, headDim]` per layer instead of the
 * whole `present.*`, which onnxruntime-node copies into fresh JavaScript buffers at every step.
 * Weights and nodes are untouched: the outputs are appended as a second `ModelProto.graph` field,
 * which protobuf's own parser (onnxruntime's) merges into the first, repeated fields concatenated,
 * so the original bytes are not re-encoded. (protobufjs does not merge: it keeps the last.)
 *
 * A `present.*` made by anything but Concat or GroupQueryAttention (through Identity or Cast) is
 * `INVALID_MODEL`: where the new positions are could only be guessed.
 *
 * @param bytes the `.onnx` file; it may have spare room after `fileLength` for the appended outputs
 * @example
 * const { presentLayout, exposed } = inspectKvGraph(readFileSync(path), { expose: true });
 * const session = await InferenceSession.create(exposed?.bytes ?? path);
 */
export function inspectKvGraph(bytes: Uint8Array, options: { expose: boolean; fileLength?: number; path?: string }): KvGraph {
  const fileLength = options.fileLength ?? bytes.length;
  const where = options.path ?? 'the ONNX graph';
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes.subarray(0, fileLength));
  } catch (cause) {
    throw new ModelError('INVALID_MODEL', `${where} is not an ONNX model: ${(cause as Error).message}`, { cause });
  }
  const graph = model.graph ?? {};
  const producers = producersOf(graph);
  const pastTypes = new Map((graph.input ?? []).map((i) => [i.name, i.type?.tensorType?.elemType ?? 0]));

  const layouts = new Set<PresentLayout>();
  const direct: Array<[string, string] | undefined> = [];
  let sharedBuffer = true;
  for (let layer = 0; pastTypes.has(layerKvNames(layer).past[0]); layer++) {
    const { past, present } = layerKvNames(layer);
    const pair = present.map((name, kind) => {
      let node = producers.get(name);
      const first = node;
      while (node && PASS_THROUGH.has(node.opType ?? '')) node = producers.get(node.input?.[0] ?? '');
      if (node?.opType === 'GroupQueryAttention') {
        layouts.add('row-length');
        // Bound only where the attention's own output and input are the graph's (no Cast between).
        if (node !== first || node.output?.[1 + kind] !== name || node.input?.[3 + kind] !== past[kind]) sharedBuffer = false;
        return undefined;
      }
      const axis = Number(node?.attribute?.find((a) => a.name === 'axis')?.i);
      if (node?.opType === 'Concat' && node.input?.length === 2 && (axis === 2 || axis === -2)) {
        layouts.add('concat');
        // Only a Concat of the past input itself that is the output itself has its new half exposed as is.
        return node === first && node.input[0] === past[kind] ? node.input[1] : undefined;
      }
      throw new ModelError(
        'INVALID_MODEL',
        `${where}: ${name} is made by ${node?.opType ?? 'no node'}, not by Concat(${past[kind]}, new) or GroupQueryAttention, so where its new positions are is unknown`,
      );
    });
    direct.push(pair[0] !== undefined && pair[1] !== undefined ? [pair[0], pair[1]] : undefined);
  }
  const rotaryPositions = rotaryTableLimit(graph, producers);
  // no KV inputs: the signature check says so
  if (layouts.size === 0) return { presentLayout: 'concat', sharedBuffer: false, exposed: undefined, rotaryPositions };
  if (layouts.size > 1) throw new ModelError('INVALID_MODEL', `${where} mixes Concat and GroupQueryAttention layers`);
  const presentLayout = [...layouts][0]!;
  if (presentLayout !== 'row-length') sharedBuffer = false;
  const names = direct.every((d) => d !== undefined) ? (direct as Array<[string, string]>) : undefined;
  if (!options.expose || presentLayout !== 'concat' || !names) return { presentLayout, sharedBuffer, exposed: undefined, rotaryPositions };

  const outputs = new Set((graph.output ?? []).map((o) => o.name));
  const added: onnxProto.onnx.IValueInfoProto[] = [];
  for (const [layer, pair] of names.entries()) {
    for (const [kind, name] of pair.entries()) {
      if (outputs.has(name)) continue;
      outputs.add(name);
      added.push({ name, type: { tensorType: { elemType: pastTypes.get(layerKvNames(layer).past[kind]!) ?? 0 } } });
    }
  }
  return {
    presentLayout,
    sharedBuffer,
    exposed: { bytes: added.length > 0 ? withOutputs(bytes, fileLength, added) : undefined, names },
    rotaryPositions,
  };
}

/**
 * The positions the graph's rotary embeddings can serve when they read precomputed cos/sin tables
 * `[positions, rotaryDim / 2]` (onnxruntime-genai's layout, Galen's `fused` builds): com.microsoft
 * `GroupQueryAttention` with `do_rotary` (its `cos_cache`, input 7, must have at least
 * total_sequence_length rows) and com.microsoft `RotaryEmbedding` (`cos_cache`, input 2, indexed by
 * `position_ids`). A table that is an initializer or a Constant (through Identity or Cast) gives its
 * rows; one computed in the graph serves any position. `undefined` when no table bounds it (the
 * plain layout computes the angles from `position_ids`).
 */
function rotaryTableLimit(graph: onnxProto.onnx.IGraphProto, producers: ReadonlyMap<string, NodeProto>): RotaryTableLimit | undefined {
  const rows = new Map<string, number>();
  for (const t of graph.initializer ?? []) if (t.name && t.dims?.length === 2) rows.set(t.name, Number(t.dims[0]));
  let limit: RotaryTableLimit | undefined;
  for (const node of graph.node ?? []) {
    if (node.domain !== 'com.microsoft') continue;
    let table: string | undefined;
    if (node.opType === 'RotaryEmbedding') table = node.input?.[2];
    else if (node.opType === 'GroupQueryAttention' && Number(node.attribute?.find((a) => a.name === 'do_rotary')?.i ?? 0) === 1)
      table = node.input?.[7];
    if (!table) continue;
    let name = table;
    let producer = producers.get(name);
    while (producer && PASS_THROUGH.has(producer.opType ?? '')) {
      name = producer.input?.[0] ?? '';
      producer = producers.get(name);
    }
    const dims = producer?.opType === 'Constant' ? producer.attribute?.find((a) => a.name === 'value')?.t?.dims : undefined;
    const positions = producer ? (dims?.length === 2 ? Number(dims[0]) : undefined) : rows.get(name);
    if (positions !== undefined && (limit === undefined || positions < limit.positions)) limit = { positions, table: name };
  }
  return limit;
}

function producersOf(graph: onnxProto.onnx.IGraphProto): Map<string, NodeProto> {
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producers.set(out, node);
  return producers;
}

/** The model bytes followed by a second `graph` field holding only `outputs` (in place when there is room). */
function withOutputs(bytes: Uint8Array, fileLength: number, outputs: onnxProto.onnx.IValueInfoProto[]): Uint8Array {
  const extra = onnx.ModelProto.encode({ graph: { output: outputs } }).finish();
  if (bytes.length - fileLength >= extra.length) {
    bytes.set(extra, fileLength);
    return bytes.subarray(0, fileLength + extra.length);
  }
  const joined = new Uint8Array(fileLength + extra.length);
  joined.set(bytes.subarray(0, fileLength));
  joined.set(extra, fileLength);
  return joined;
}
