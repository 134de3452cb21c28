import type { KnowledgeStore } from '../../knowledge/index.js';
import type { EmbeddingModel } from '../../model/embedding/index.js';
import { chunkEmbeddingText } from './chunk-embedding-text.js';
import { VectorIndexError } from './errors.js';
import type { VectorIndex } from './vector-index.js';

/** Options of {@link syncVectorIndex}. */
export interface SyncOptions {
  /** Chunks read and embedded per batch. Default 512. */
  batchSize?: number;
  /** Called after each embedded batch. */
  onProgress?: (progress: { embedded: number; total: number }) => void;
  /** Aborting stops before the index is changed (it throws the signal's reason). */
  signal?: AbortSignal;
}

/** What a sync did. */
export interface SyncReport {
  /** Chunks embedded and added. */
  added: number;
  /** Chunks whose row id now holds different content (SQLite reuses row ids), re-embedded. */
  replaced: number;
  /** Vectors of chunks no longer in the store, removed. */
  removed: number;
  unchanged: number;
  /** Vectors in the index afterwards (= chunks in the store). */
  count: number;
  /** Why the whole index was (re)built, or `null` for an incremental update. */
  rebuilt: string | null;
  embedMs: number;
  durationMs: number;
}

/**
 * Brings the vector index in step with the store: chunks the index lacks are embedded (their
 * {@link chunkEmbeddingText}) and added, vectors of chunks gone from the store are removed, and a
 * row id whose content changed is re-embedded. It compares the index's labels and content keys with
 * the store's chunk ids and `chunk_key`s (a hash of the chunk's content), so it works after any
 * ingest, refresh or removal without the knowledge layer knowing about vectors. An index built for
 * another embedder is reset and rebuilt (logged through the index's logger). Calls on one index
 * run one at a time.
 *
 * @example
 * await ingest(store, { source: 'medquad', paths: ['../shared/data/medquad'] });
 * const report = await syncVectorIndex(store, index, embedder); // → { added: 26222, removed: 0, … }
 */
export function syncVectorIndex(
  store: KnowledgeStore,
  index: VectorIndex,
  embedder: EmbeddingModel,
  options: SyncOptions = {},
): Promise<SyncReport> {
  return index.exclusive(async (apply) => {
    const started = performance.now();
    if (embedder.id !== index.embedderId || embedder.dimension !== index.dimension) {
      // The index object is bound to one embedder (opening checks the files against it); a caller
      // that switched embedders reopens the index, which then rebuilds.
      throw new VectorIndexError(
        'EMBEDDER_MISMATCH',
        `The index was opened for ${index.embedderId} (${index.dimension} dimensions), not ${embedder.id} (${embedder.dimension}); reopen it with this embedder.`,
      );
    }
    const rebuilt = index.rebuildReason;
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 512));
    const indexed = index.contentKeys();
    const inStore = new Map<number, number>();
    for (const { chunkId, contentKey: key } of store.chunkKeys()) inStore.set(chunkId, contentKey(key));
    const toEmbed: number[] = [];
    let replaced = 0;
    for (const [id, key] of inStore) {
      const known = indexed.get(id);
      if (known === key) continue;
      if (known !== undefined) replaced++;
      toEmbed.push(id);
    }
    const remove = [...indexed.keys()].filter((id) => !inStore.has(id));
    toEmbed.sort((a, b) => a - b);

    const embedStarted = performance.now();
    const labels: number[] = [];
    const contentKeys: number[] = [];
    const vectors: Float32Array[] = [];
    for (let i = 0; i < toEmbed.length; i += batchSize) {
      options.signal?.throwIfAborted();
      const chunks = store.getChunks(toEmbed.slice(i, i + batchSize));
      const embedded = await embedder.embed(chunks.map(chunkEmbeddingText));
      chunks.forEach((chunk, j) => {
        labels.push(chunk.chunkId);
        contentKeys.push(inStore.get(chunk.chunkId)!);
        vectors.push(embedded[j]!);
      });
      options.onProgress?.({ embedded: Math.min(i + batchSize, toEmbed.length), total: toEmbed.length });
    }
    const embedMs = performance.now() - embedStarted;
    options.signal?.throwIfAborted();
    if (labels.length > 0 || remove.length > 0 || rebuilt !== null) {
      await apply({ labels, contentKeys, vectors, remove });
    }
    if (rebuilt !== null) index.logger.info(`Vector index rebuilt (${rebuilt}): ${index.count} vectors.`);
    return {
      added: labels.length - replaced,
      replaced,
      removed: remove.length,
      unchanged: inStore.size - toEmbed.length,
      count: index.count,
      rebuilt,
      embedMs,
      durationMs: performance.now() - started,
    };
  });
}

/** The first 52 bits of the chunk's content hash (hex), exact as a float64 label-file entry. */
function contentKey(chunkKey: string): number {
  return Number.parseInt(chunkKey.slice(0, 13), 16) || 0;
}
