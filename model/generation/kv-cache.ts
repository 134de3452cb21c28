import { Tensor } from 'onnxruntime-node';
import type { GraphSignature } from './graph-signature.js';

type KvData = Float32Array | Uint16Array;

/** Where one row of a {@link KvCache.pack} comes from. */
export interface KvRowSource {
  cache: KvCache;
  /** Row in `cache`. */
  row: number;
  /** Real (non-padding) positions of the row; they are the last `length` positions of `cache`. */
  length: number;
}

/**
 * The attention keys and values of a batch of sequences, one `[batch, kvHeads, length, headDim]`
 * tensor per layer and kind, as the graph's `present.*` outputs return them. Rows are
 * left-padded: a row's real positions are its last ones, padding before them is masked out by the
 * attention mask. A step's outputs become the next step's inputs as they are (no copy); rows are
 * copied only when a request joins or leaves a batch ({@link pack}).
 *
 * @example
 * let kv = KvCache.empty(signature, 1);
 * kv.addFeeds(feeds); const out = await session.run(feeds);
 * kv = KvCache.fromOutputs(signature, out, 1); // the old cache is released by the caller
 */
export class KvCache {
  private constructor(
    private readonly signature: GraphSignature,
    /** `[key0, value0, key1, value1, …]`. */
    private tensors: Tensor[],
    readonly batchSize: number,
    /** Positions per row, padding included. */
    readonly length: number,
  ) {}

  /** A cache with no positions (the first run's `past_key_values`). */
  static empty(signature: GraphSignature, batchSize: number): KvCache {
    const tensors = signature.pastNames.flatMap(() => [0, 1].map(() => makeTensor(signature, batchSize, 0)));
    return new KvCache(signature, tensors, batchSize, 0);
  }

  /** Takes the `present.*` outputs of a run as the cache (no copy). */
  static fromOutputs(signature: GraphSignature, outputs: Record<string, Tensor>, batchSize: number): KvCache {
    const tensors = signature.presentNames.flatMap((names) => names.map((n) => outputs[n]!));
    const length = tensors[0]!.dims[2]!;
    return new KvCache(signature, tensors, batchSize, length);
  }

  /**
   * A new cache whose row `r` holds `rows[r]`, right-aligned in `length` positions (zeros before,
   * which the attention mask hides). `length` must be at least every row's `length`.
   */
  static pack(signature: GraphSignature, rows: readonly KvRowSource[], length: number): KvCache {
    const { numKeyValueHeads: heads, headDim } = signature;
    const tensors: Tensor[] = [];
    for (let t = 0; t < signature.pastNames.length * 2; t++) {
      const out = makeTensor(signature, rows.length, length);
      const dst = out.data as KvData;
      for (const [r, src] of rows.entries()) {
        const from = src.cache.tensors[t]!.data as KvData;
        const srcLength = src.cache.length;
        const block = src.length * headDim;
        for (let h = 0; h < heads; h++) {
          const srcStart = ((src.row * heads + h) * srcLength + (srcLength - src.length)) * headDim;
          const dstStart = ((r * heads + h) * length + (length - src.length)) * headDim;
          dst.set(from.subarray(srcStart, srcStart + block), dstStart);
        }
      }
      tensors.push(out);
    }
    return new KvCache(signature, tensors, rows.length, length);
  }

  /** Adds this cache as the `past_key_values.*` feeds of a run. */
  addFeeds(feeds: Record<string, Tensor>): void {
    this.signature.pastNames.forEach((names, layer) => {
      feeds[names[0]] = this.tensors[layer * 2]!;
      feeds[names[1]] = this.tensors[layer * 2 + 1]!;
    });
  }

  /** Total bytes held. */
  get byteLength(): number {
    return this.tensors.reduce((n, t) => n + (t.data as KvData).byteLength, 0);
  }

  /** Drops the tensors now (their buffers go with the next GC); the cache is unusable after. */
  release(): void {
    for (const t of this.tensors) t.dispose();
    this.tensors = [];
  }
}

function makeTensor(signature: GraphSignature, batchSize: number, length: number): Tensor {
  const size = batchSize * signature.numKeyValueHeads * length * signature.headDim;
  const dims = [batchSize, signature.numKeyValueHeads, length, signature.headDim];
  return signature.kvDtype === 'float16' ? new Tensor('float16', new Uint16Array(size), dims) : new Tensor('float32', new Float32Array(size), dims);
}
