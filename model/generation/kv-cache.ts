import { Tensor } from 'onnxruntime-node';
import type { GraphSignature } from './graph-signature.js';

/** Element storage of a KV tensor (float16 as raw bits). */
export type KvData = Float32Array | Uint16Array;

/** Where a run's new positions sit in an output tensor `[rows, kvHeads, positions, headDim]`. */
export interface NewKvLayout {
  /** The output's third dimension. */
  positions: number;
  /**
   * Per row, the index of its first new position: 0 for the new-KV outputs, the past's length for
   * a `Concat(past, new)` `present.*`, the row's own length for GroupQueryAttention's.
   */
  starts: readonly number[];
}

/** Options of {@link KvCache}. */
export interface KvCacheOptions {
  /** Positions are reserved in steps of this many, so most steps append in place. Default 32. */
  growth?: number;
  /** Row storage never grows past this many rows. Default unbounded. */
  maxRows?: number;
  /**
   * Positions one run may span, past and new (the context window, which a graph may size its
   * tables by): capacity is not rounded up past `window − 1` (past `window` with a shared buffer,
   * where a run spans the capacity alone), and {@link prepare} trims it to the longest row before a
   * run that would pass `window`. Default unbounded.
   */
  window?: number;
}

const DEFAULT_KV_GROWTH = 32;

/**
 * The attention keys and values of a batch of sequences, kept in buffers Galen owns and appends
 * to in place: per layer and kind one `[rows, kvHeads, capacity, headDim]` array. Rows are
 * right-padded: row `r`'s real positions are `0 … lengths[r]-1`, the rest of its capacity is
 * masked out by {@link attentionMask}, and positions come from `lengths` (explicit
 * `position_ids`, or the mask's running sum for graphs that derive them), so rows of different
 * lengths share one tensor shape. The graph reads the buffers as `past_key_values.*` without a
 * copy; after a run only the new positions are copied in ({@link append}) — or, for a graph whose
 * `present.*` share the past's buffers (`signature.sharedBuffer`: GroupQueryAttention's
 * past_present_share_buffer), onnxruntime writes them in place and the run is only counted
 * ({@link advance}); a run then spans the capacity alone, which {@link prepare} makes room for
 * (past and new positions in one fixed `[rows, kvHeads, capacity, headDim]` shape, as
 * onnxruntime-genai keeps it). Capacity grows in
 * steps of `growth` positions (one re-layout per step of growth), rows join by one copy of their
 * positions and leave by moving the last row into their place; the buffers shrink when far larger
 * than the rows left need, and are freed with the last row.
 *
 * @example
 * const kv = new KvCache(signature); kv.addRow();
 * kv.addFeeds(feeds); feeds.attention_mask = new Tensor('int64', kv.attentionMask(s), [1, kv.span(s)]);
 * const out = await session.run(feeds); kv.append(newKv(out), { positions: s, starts: [0] }, s);
 */
export class KvCache {
  /** `[key0, value0, key1, value1, …]`, each `rowCapacity × kvHeads × capacity × headDim`. */
  private buffers: KvData[] = [];
  private rowCapacity = 0;
  /** Positions each row can hold. */
  capacity = 0;
  /** Real positions of each row. */
  readonly lengths: number[] = [];
  private readonly growth: number;
  private readonly maxRows: number;
  private readonly window: number;

  constructor(
    private readonly signature: GraphSignature,
    options: KvCacheOptions = {},
  ) {
    this.growth = options.growth ?? DEFAULT_KV_GROWTH;
    this.maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
    this.window = options.window ?? Number.POSITIVE_INFINITY;
  }

  get rows(): number {
    return this.lengths.length;
  }

  /** Adds an empty row at the end; returns its index. */
  addRow(): number {
    this.reserveRows(this.rows + 1);
    this.lengths.push(0);
    return this.rows - 1;
  }

  /** Appends a copy of row `row` of `other` (same signature) as a new last row; returns its index. */
  addRowFrom(other: KvCache, row: number): number {
    const length = other.lengths[row]!;
    this.reserveRows(this.rows + 1);
    this.reservePositions(length);
    const r = this.rows;
    this.lengths.push(length);
    this.buffers.forEach((dst, t) => copyRow(other.buffers[t]!, row, other.capacity, dst, r, this.capacity, length, this.headBlock));
    return r;
  }

  /**
   * Removes row `row` by moving the last row into its place (one copy of that row's positions);
   * returns the index that moved (`row` itself when it was the last). With no rows left the
   * buffers are freed.
   */
  removeRow(row: number): number {
    const last = this.rows - 1;
    if (row !== last) {
      for (const data of this.buffers) copyRow(data, last, this.capacity, data, row, this.capacity, this.lengths[last]!, this.headBlock);
      this.lengths[row] = this.lengths[last]!;
    }
    this.lengths.pop();
    if (this.rows === 0) {
      this.clear();
      return last;
    }
    // Memory goes back once far more is held than the rows left need.
    const longest = Math.max(...this.lengths);
    const fewRows = this.rows <= this.rowCapacity / 4;
    const shortRows = this.capacity - longest > 2 * this.growth;
    if (fewRows || shortRows)
      this.relayout(fewRows ? this.rows * 2 : this.rowCapacity, shortRows ? this.roundUp(longest + 1) : this.capacity);
    return last;
  }

  /** Frees every row and buffer. */
  clear(): void {
    this.lengths.length = 0;
    this.buffers = [];
    this.rowCapacity = 0;
    this.capacity = 0;
  }

  /** Whether the graph writes each run's new positions into the buffers itself (`signature.sharedBuffer`). */
  get shared(): boolean {
    return this.signature.sharedBuffer === true;
  }

  /**
   * Makes the cache ready for a run adding `sequenceLength` positions to every row: when its
   * capacity plus those would pass the window, the capacity is trimmed to the longest row. With a
   * shared buffer the run writes inside the capacity, which grows to hold the longest row and them.
   */
  prepare(sequenceLength: number): void {
    const longest = Math.max(0, ...this.lengths);
    if (this.shared) this.reservePositions(longest + sequenceLength);
    else if (this.capacity + sequenceLength > this.window && this.capacity > longest) this.relayout(this.rowCapacity, longest);
  }

  /**
   * Adds the buffers as the `past_key_values.*` feeds of a run over all rows (views, no copy) and,
   * given `fetches` and a shared buffer, the very same tensors as its `present.*` fetches, so
   * onnxruntime writes the run's new positions into them.
   */
  addFeeds(feeds: Record<string, Tensor>, fetches?: Record<string, Tensor | null>): void {
    const { numKeyValueHeads: heads, headDim, pastNames, presentNames } = this.signature;
    const dims = [this.rows, heads, this.capacity, headDim];
    const size = this.rows * heads * this.capacity * headDim;
    pastNames.forEach((names, layer) => {
      for (const kind of [0, 1]) {
        const data = this.buffers[layer * 2 + kind]?.subarray(0, size) ?? emptyData(this.signature);
        const tensor = data instanceof Uint16Array ? new Tensor('float16', data, dims) : new Tensor('float32', data, dims);
        feeds[names[kind]!] = tensor;
        if (fetches && this.shared) fetches[presentNames[layer]![kind]!] = tensor;
      }
    });
  }

  /**
   * Positions a run adding `sequenceLength` to every row spans, past and new: the width of its
   * `attention_mask` (GroupQueryAttention's `total_sequence_length`), `capacity + sequenceLength`,
   * or the capacity alone with a shared buffer (after {@link prepare}).
   */
  span(sequenceLength: number): number {
    return this.shared ? this.capacity : this.capacity + sequenceLength;
  }

  /**
   * The `attention_mask` of a run adding `sequenceLength` positions to every row,
   * `[rows, span(sequenceLength)]`: each row's real positions and the new ones are 1, its
   * unused capacity 0.
   */
  attentionMask(sequenceLength: number): BigInt64Array {
    const width = this.span(sequenceLength);
    if (this.shared) {
      // Right-padded: each row's real and new positions first, its unused capacity after.
      const mask = new BigInt64Array(this.rows * width);
      for (const [r, length] of this.lengths.entries()) mask.fill(1n, r * width, r * width + length + sequenceLength);
      return mask;
    }
    const mask = new BigInt64Array(this.rows * width).fill(1n);
    for (const [r, length] of this.lengths.entries()) mask.fill(0n, r * width + length, r * width + this.capacity);
    return mask;
  }

  /**
   * Copies `count` new positions per row, per layer and kind from a run's outputs (`values` in
   * `[key0, value0, …]` order, each `[rows, kvHeads, layout.positions, headDim]`) to the end of
   * each row, growing the capacity when needed.
   */
  append(values: readonly KvData[], layout: NewKvLayout, count: number): void {
    this.reservePositions(Math.max(...this.lengths) + count);
    const { numKeyValueHeads: heads, headDim } = this.signature;
    const block = count * headDim;
    values.forEach((src, t) => {
      const dst = this.buffers[t]!;
      for (const [r, length] of this.lengths.entries()) {
        for (let h = 0; h < heads; h++) {
          const from = ((r * heads + h) * layout.positions + layout.starts[r]!) * headDim;
          const to = ((r * heads + h) * this.capacity + length) * headDim;
          // One position (a decode step): copied without making a subarray per head and layer.
          if (block === headDim) for (let i = 0; i < headDim; i++) dst[to + i] = src[from + i]!;
          else dst.set(src.subarray(from, from + block), to);
        }
      }
    });
    for (let r = 0; r < this.rows; r++) this.lengths[r]! += count;
  }

  /**
   * Counts `count` new positions per row that a run has written into the shared buffers itself
   * (right after each row's length, within the capacity {@link prepare} reserved): nothing is copied.
   */
  advance(count: number): void {
    if (!this.shared) throw new Error('KvCache.advance: the graph does not share the past buffers; append the new positions');
    if (Math.max(0, ...this.lengths) + count > this.capacity)
      throw new RangeError('KvCache.advance: past the capacity prepared for the run');
    for (let r = 0; r < this.rows; r++) this.lengths[r]! += count;
  }

  /** Bytes held by the buffers. */
  get byteLength(): number {
    return this.buffers.reduce((n, b) => n + b.byteLength, 0);
  }

  private get headBlock(): { heads: number; headDim: number } {
    return { heads: this.signature.numKeyValueHeads, headDim: this.signature.headDim };
  }

  /** `positions` rounded up to a step of growth, but not past what one run may span (the window). */
  private roundUp(positions: number): number {
    const limit = this.shared ? this.window : this.window - 1;
    return Math.max(positions, Math.min(Math.ceil(positions / this.growth) * this.growth, limit));
  }

  private reserveRows(rows: number): void {
    if (rows <= this.rowCapacity) return;
    if (rows > this.maxRows) throw new RangeError(`KV cache is limited to ${this.maxRows} rows`);
    this.relayout(Math.min(this.maxRows, Math.max(rows, this.rowCapacity * 2)), this.capacity);
  }

  private reservePositions(positions: number): void {
    if (positions > this.capacity) this.relayout(this.rowCapacity, this.roundUp(positions));
  }

  /** Moves every row into new buffers of `rowCapacity` rows × `capacity` positions. */
  private relayout(rowCapacity: number, capacity: number): void {
    const { numKeyValueHeads: heads, headDim, pastNames, kvDtype } = this.signature;
    const size = rowCapacity * heads * capacity * headDim;
    // Built aside and swapped in whole: a failed allocation leaves the cache as it was.
    const next: KvData[] = [];
    for (let t = 0; t < pastNames.length * 2; t++) {
      const dst = kvDtype === 'float16' ? new Uint16Array(size) : new Float32Array(size);
      const src = this.buffers[t];
      if (src) for (const [r, length] of this.lengths.entries()) copyRow(src, r, this.capacity, dst, r, capacity, length, this.headBlock);
      next.push(dst);
    }
    this.buffers = next;
    this.rowCapacity = rowCapacity;
    this.capacity = capacity;
  }
}

/** Copies the first `length` positions of every head of one row between `[rows, heads, capacity, dim]` arrays. */
function copyRow(
  src: KvData,
  srcRow: number,
  srcCapacity: number,
  dst: KvData,
  dstRow: number,
  dstCapacity: number,
  length: number,
  { heads, headDim }: { heads: number; headDim: number },
): void {
  for (let h = 0; h < heads; h++) {
    const from = (srcRow * heads + h) * srcCapacity * headDim;
    dst.set(src.subarray(from, from + length * headDim), (dstRow * heads + h) * dstCapacity * headDim);
  }
}

function emptyData(signature: GraphSignature): KvData {
  return signature.kvDtype === 'float16' ? new Uint16Array(0) : new Float32Array(0);
}
