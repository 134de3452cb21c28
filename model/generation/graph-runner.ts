import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { ModelError } from './errors.js';
import { halfToFloat } from './float16.js';
import type { GraphSignature } from './graph-signature.js';
import type { KvCache, KvData } from './kv-cache.js';

/** One run of the decoder graph over every row of a cache. */
export interface GraphStep {
  /** `[rows, sequence]` token ids, row-major. */
  inputIds: readonly number[];
  /** New tokens per row (the same for every row). */
  sequenceLength: number;
  /** The rows' cache: read as the past, and the run's new keys and values are appended to it. */
  cache: KvCache;
}

/**
 * Runs the decoder graph: builds `input_ids`, `attention_mask` (the cache's rows, unused capacity
 * masked) and per-row `position_ids` from each row's length, feeds the cache's buffers as the
 * past, fetches `logits` and only the new keys and values when the graph exposes them
 * (`signature.newKvNames`; otherwise `present.*`, of which only the new positions are kept),
 * appends those to the cache (from where `signature.presentLayout` says they are) and returns each
 * row's last-position logits. With `signature.sharedBuffer` the cache's own tensors are passed as
 * the `present.*` fetches too, onnxruntime writes the new positions into them, and the cache only
 * counts them. (onnxruntime-node 1.30 still hands each fetched output back as a fresh copy, which
 * is dropped unread: the copy out of the binding is the one per-step copy left.)
 *
 * @example
 * const kv = new KvCache(runner.signature); kv.addRow();
 * const [logits] = await runner.run({ inputIds: [1], sequenceLength: 1, cache: kv });
 */
export class GraphRunner {
  private readonly fetches: string[];

  constructor(
    private readonly session: InferenceSession,
    readonly signature: GraphSignature,
  ) {
    this.fetches = ['logits', ...(signature.newKvNames ?? signature.presentNames).flat()];
  }

  /** Per row, the logits of its last new token (`vocabSize` float32, the caller's to modify). */
  async run(step: GraphStep): Promise<Float32Array[]> {
    const { sequenceLength: s, cache } = step;
    cache.prepare(s);
    const b = cache.rows;
    const inputIds = new BigInt64Array(b * s);
    for (let i = 0; i < inputIds.length; i++) inputIds[i] = BigInt(step.inputIds[i]!);
    const pastLength = cache.capacity;
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor('int64', inputIds, [b, s]),
      attention_mask: new Tensor('int64', cache.attentionMask(s), [b, cache.span(s)]),
    };
    if (this.signature.hasPositionIds) {
      const positions = new BigInt64Array(b * s);
      for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) positions[r * s + j] = BigInt(cache.lengths[r]! + j);
      feeds['position_ids'] = new Tensor('int64', positions, [b, s]);
    }
    if (this.signature.hasUseCacheBranch) feeds['use_cache_branch'] = new Tensor('bool', [pastLength > 0], [1]);
    // A shared buffer: the cache's own tensors are the present.* fetches too (added by addFeeds).
    const shared = cache.shared;
    const bound: Record<string, Tensor | null> = { logits: null };
    cache.addFeeds(feeds, bound);
    const fetches = shared ? bound : this.fetches;

    let outputs: InferenceSession.ReturnType;
    try {
      outputs = await this.session.run(feeds, fetches);
    } catch (cause) {
      throw new ModelError('GENERATION_FAILED', `onnxruntime run failed: ${(cause as Error).message}`, { cause });
    }
    if (shared) cache.advance(s);
    else {
      const kvTensors = this.fetches.slice(1).map((name) => outputs[name]!);
      const outputPositions = kvTensors[0]!.dims[2]!;
      cache.append(
        kvTensors.map((t) => kvBits(t.data)),
        { positions: outputPositions, starts: this.newPositionStarts(cache, pastLength) },
        s,
      );
    }

    const logitsTensor = outputs['logits']!;
    const [, positions, vocab] = logitsTensor.dims as [number, number, number];
    const logits: Float32Array[] = [];
    for (let r = 0; r < b; r++) {
      const start = (r * positions + positions - 1) * vocab;
      logits.push(
        this.signature.logitsDtype === 'float16'
          ? halfToFloat((kvBits(logitsTensor.data) as Uint16Array).subarray(start, start + vocab), new Float32Array(vocab))
          : (logitsTensor.data as Float32Array).subarray(start, start + vocab),
      );
    }
    return logits;
  }

  /** Per row, where the fetched outputs hold the run's first new position (before the cache grows). */
  private newPositionStarts(cache: KvCache, pastLength: number): number[] {
    if (this.signature.newKvNames) return cache.lengths.map(() => 0);
    if (this.signature.presentLayout === 'row-length') return [...cache.lengths];
    return cache.lengths.map(() => pastLength);
  }
}

/**
 * A float32 tensor's data, or a float16 one's as raw bits: onnxruntime-common hands float16 out
 * as `Float16Array` where the runtime has one, and copying that into the cache's `Uint16Array`
 * would convert values instead of copying bits.
 */
function kvBits(data: Tensor['data']): KvData {
  if (data instanceof Float32Array || data instanceof Uint16Array) return data;
  const view = data as unknown as ArrayBufferView & { length: number; BYTES_PER_ELEMENT?: number };
  if (view.BYTES_PER_ELEMENT === 2) return new Uint16Array(view.buffer, view.byteOffset, view.length);
  throw new ModelError('GENERATION_FAILED', `unexpected tensor data ${Object.prototype.toString.call(data)} for a float16/float32 output`);
}
