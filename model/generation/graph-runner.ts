import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { ModelError } from './errors.js';
import { halfToFloat } from './float16.js';
import type { GraphSignature } from './graph-signature.js';
import { KvCache } from './kv-cache.js';

/** One run of the decoder graph over a batch. */
export interface GraphStep {
  /** `[batch, sequence]` token ids, row-major. */
  inputIds: readonly number[];
  batchSize: number;
  /** New tokens per row (the same for every row). */
  sequenceLength: number;
  /** Cache before the run (length `past`); not released here. */
  past: KvCache;
  /** Padding positions at the start of each row of `past` (masked out); default none. */
  padding?: readonly number[];
  /** Position of each row's first new token (its real past length). */
  startPositions: readonly number[];
}

/** What a run returns. */
export interface GraphOutput {
  /** Per row, the logits of its last new token (`vocabSize` float32, the caller's to modify). */
  logits: Float32Array[];
  /** The `present.*` outputs as the new cache (length `past + sequence`). */
  present: KvCache;
}

/**
 * Runs the decoder graph: builds `input_ids`, `attention_mask` (past + new, 0 on padding),
 * per-row `position_ids` when the graph takes them, and feeds the KV cache; returns the last
 * position's logits per row and `present.*` as the next cache, without copying it.
 *
 * @example
 * const { logits, present } = await runner.run({ inputIds: [1], batchSize: 1, sequenceLength: 1, past: KvCache.empty(sig, 1), startPositions: [0] });
 */
export class GraphRunner {
  constructor(
    private readonly session: InferenceSession,
    readonly signature: GraphSignature,
  ) {}

  async run(step: GraphStep): Promise<GraphOutput> {
    const { batchSize: b, sequenceLength: s, past } = step;
    const total = past.length + s;
    const inputIds = new BigInt64Array(b * s);
    for (let i = 0; i < inputIds.length; i++) inputIds[i] = BigInt(step.inputIds[i]!);
    const mask = new BigInt64Array(b * total).fill(1n);
    if (step.padding) for (let r = 0; r < b; r++) mask.fill(0n, r * total, r * total + step.padding[r]!);
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor('int64', inputIds, [b, s]),
      attention_mask: new Tensor('int64', mask, [b, total]),
    };
    if (this.signature.hasPositionIds) {
      const positions = new BigInt64Array(b * s);
      for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) positions[r * s + j] = BigInt(step.startPositions[r]! + j);
      feeds['position_ids'] = new Tensor('int64', positions, [b, s]);
    }
    if (this.signature.hasUseCacheBranch) feeds['use_cache_branch'] = new Tensor('bool', [past.length > 0], [1]);
    past.addFeeds(feeds);

    let outputs: InferenceSession.ReturnType;
    try {
      outputs = await this.session.run(feeds);
    } catch (cause) {
      throw new ModelError('GENERATION_FAILED', `onnxruntime run failed: ${(cause as Error).message}`, { cause });
    }
    const logitsTensor = outputs['logits']!;
    const [, positions, vocab] = logitsTensor.dims as [number, number, number];
    const logits: Float32Array[] = [];
    for (let r = 0; r < b; r++) {
      const start = (r * positions + positions - 1) * vocab;
      logits.push(
        this.signature.logitsDtype === 'float16'
          ? halfToFloat((logitsTensor.data as Uint16Array).subarray(start, start + vocab), new Float32Array(vocab))
          : (logitsTensor.data as Float32Array).subarray(start, start + vocab),
      );
    }
    return { logits, present: KvCache.fromOutputs(this.signature, outputs as Record<string, Tensor>, b) };
  }
}
