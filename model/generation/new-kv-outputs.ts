import onnxProto from 'onnx-proto';
import { layerKvNames } from './graph-signature.js';

const { onnx } = onnxProto;

/** A decoder graph with each layer's new keys and values made graph outputs. */
export interface ExposedNewKv {
  /** The model bytes to load: the original with the extra outputs merged in. */
  bytes: Uint8Array;
  /** Per layer, the `[key, value]` output names holding only the run's new positions. */
  names: Array<[string, string]>;
}

/**
 * Makes the new keys and values of every layer (the second input of the `Concat(past, new)` that
 * produces `present.{i}.key|value`) extra graph outputs, so a run can fetch `[batch, kvHeads, new,
 * headDim]` per layer instead of the whole `present.*`, which onnxruntime-node copies into fresh
 * JavaScript buffers at every step. Weights and nodes are untouched: the outputs are appended as
 * a second `ModelProto.graph` field, which protobuf's own parser (onnxruntime's) merges into the
 * first, repeated fields concatenated, so the original bytes are not re-encoded. (protobufjs does
 * not merge: it keeps the last.)
 *
 * Returns `undefined` when some `present.*` is not such a Concat (onnxruntime-genai's
 * GroupQueryAttention exports, for one): the caller then fetches `present.*` as it is.
 *
 * @param bytes the `.onnx` file; it may have spare room after `fileLength` for the appended outputs
 * @example
 * const exposed = exposeNewKeyValues(readFileSync(path));
 * const session = await InferenceSession.create(exposed?.bytes ?? path);
 */
export function exposeNewKeyValues(bytes: Uint8Array, fileLength = bytes.length): ExposedNewKv | undefined {
  const model = onnx.ModelProto.decode(bytes.subarray(0, fileLength));
  const graph = model.graph;
  if (!graph) return undefined;
  const producers = new Map<string, onnxProto.onnx.INodeProto>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producers.set(out, node);
  const outputs = new Set((graph.output ?? []).map((o) => o.name));
  const pastTypes = new Map((graph.input ?? []).map((i) => [i.name, i.type?.tensorType?.elemType ?? 0]));

  const names: Array<[string, string]> = [];
  const added: onnxProto.onnx.IValueInfoProto[] = [];
  for (let layer = 0; pastTypes.has(layerKvNames(layer).past[0]); layer++) {
    const { past: pastPair, present } = layerKvNames(layer);
    const pair = present.map((name, kind) => {
      const node = producers.get(name);
      const past = pastPair[kind]!;
      const axis = node?.attribute?.find((a) => a.name === 'axis')?.i;
      const ok = node?.opType === 'Concat' && node.input?.length === 2 && node.input[0] === past && (Number(axis) === 2 || Number(axis) === -2);
      return ok ? node.input![1]! : undefined;
    });
    if (pair[0] === undefined || pair[1] === undefined) return undefined;
    names.push([pair[0], pair[1]]);
    for (const [kind, name] of pair.entries()) {
      if (outputs.has(name)) continue;
      outputs.add(name);
      added.push({ name, type: { tensorType: { elemType: pastTypes.get(pastPair[kind]!) ?? 0 } } });
    }
  }

  if (names.length === 0) return undefined;
  if (added.length === 0) return { bytes: bytes.subarray(0, fileLength), names };
  const extra = onnx.ModelProto.encode({ graph: { output: added } }).finish();
  if (bytes.length - fileLength >= extra.length) {
    bytes.set(extra, fileLength);
    return { bytes: bytes.subarray(0, fileLength + extra.length), names };
  }
  const joined = new Uint8Array(fileLength + extra.length);
  joined.set(bytes.subarray(0, fileLength));
  joined.set(extra, fileLength);
  return { bytes: joined, names };
}
