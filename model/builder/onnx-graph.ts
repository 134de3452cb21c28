import onnxProto from 'onnx-proto';
import { floatToHalfBits } from './float-formats.js';

const { onnx } = onnxProto;

/** ONNX element types the builder uses (`TensorProto.DataType` values). */
export const ElementType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
export type ElementType = (typeof ElementType)[keyof typeof ElementType];

/** A dimension: fixed size or a named symbolic one (`batch_size`). */
export type Dim = number | string;

/** Attribute values the builder writes. */
export type AttributeValue = number | string | number[] | { float: number } | { ints: number[] };

/** A graph initializer whose bytes are produced later, one at a time, by the model writer. */
export interface WeightSlot {
  name: string;
  dims: number[];
  dataType: ElementType;
  /** Byte length of `produce()`'s result. */
  byteLength: number;
  /** The little-endian bytes (called once, in slot order). */
  produce(): Uint8Array;
}

/**
 * Accumulates ONNX nodes, inputs, outputs, small constants and streamed weight slots, with fresh
 * value names; {@link toGraphProto} gives the graph without the slots' bytes.
 *
 * @example
 * const g = new OnnxGraph('demo');
 * const y = g.op('Relu', [g.input('x', ElementType.FLOAT, ['n'])]);
 * g.output(y, 'y', ElementType.FLOAT, ['n']);
 */
export class OnnxGraph {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly constants: onnxProto.onnx.ITensorProto[] = [];
  readonly weights: WeightSlot[] = [];
  private counter = 0;
  private readonly constantCache = new Map<string, string>();

  constructor(readonly name: string) {}

  /** Declares a graph input and returns its name. */
  input(name: string, elemType: ElementType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares `value` as graph output `name` (renaming through Identity when they differ). */
  output(value: string, name: string, elemType: ElementType, dims: readonly Dim[]): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}_identity` });
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Adds a node with one output; returns the output's name (`out` when given). */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, out?: string, domain?: string): string {
    return this.opN(opType, inputs, 1, attributes, out ? [out] : undefined, domain)[0]!;
  }

  /** Adds a node with `count` outputs; returns their names. */
  opN(
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes: Record<string, AttributeValue> = {},
    outs?: string[],
    domain?: string,
  ): string[] {
    const id = this.counter++;
    const output = outs ?? Array.from({ length: count }, (_, i) => `${opType.toLowerCase()}_${id}${count > 1 ? `_${i}` : ''}`);
    this.nodes.push({
      opType,
      name: `${opType}_${id}`,
      input: [...inputs],
      output,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
      ...(domain ? { domain } : {}),
    });
    return output;
  }

  /** An int64 constant (deduplicated); `scalar` gives a rank-0 tensor. */
  int64(values: readonly number[], scalar = false): string {
    return this.constant(ElementType.INT64, values, scalar ? [] : [values.length]);
  }

  /** A float constant of `elemType` (FLOAT or FLOAT16), deduplicated. */
  float(values: readonly number[], elemType: ElementType = ElementType.FLOAT, scalar = false): string {
    return this.constant(elemType, values, scalar ? [] : [values.length]);
  }

  /** Registers a streamed weight and returns its name. */
  weight(slot: WeightSlot): string {
    this.weights.push(slot);
    return slot.name;
  }

  /** The graph without the weight slots (they are appended by the model writer). */
  toGraphProto(extraInitializers: onnxProto.onnx.ITensorProto[] = []): onnxProto.onnx.IGraphProto {
    return {
      name: this.name,
      node: this.nodes,
      input: this.inputs,
      output: this.outputs,
      initializer: [...this.constants, ...extraInitializers],
    };
  }

  private constant(elemType: ElementType, values: readonly number[], dims: number[]): string {
    const key = `${elemType}:${dims.join('x')}:${values.join(',')}`;
    const cached = this.constantCache.get(key);
    if (cached) return cached;
    const name = `const_${this.constantCache.size}`;
    const tensor: onnxProto.onnx.ITensorProto = { name, dims, dataType: elemType };
    if (elemType === ElementType.INT64) tensor.rawData = new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    else if (elemType === ElementType.FLOAT) tensor.rawData = new Uint8Array(Float32Array.from(values).buffer);
    else tensor.rawData = new Uint8Array(Uint16Array.from(values.map(floatToHalfBits)).buffer);
    this.constants.push(tensor);
    this.constantCache.set(key, name);
    return name;
  }
}

function valueInfo(name: string, elemType: ElementType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.INTS, ints: value.ints };
}
