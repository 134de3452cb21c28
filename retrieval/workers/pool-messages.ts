import type { ExecutionProviderName } from '../../model/index.js';
import type { LocalRetrievalOptions, LocalRetrievalResult, LocalRetrieveRequest } from '../pipeline/local-retrieval.js';

/** What each worker of a `LocalRetrievalPool` opens (its `workerData`). */
export interface PoolWorkerConfig {
  dataDir: string;
  /** The vector index to search beside the store, or `null` for BM25 alone. */
  vectors: {
    efSearch?: number;
    lsaDimension?: number;
    /** An ONNX sentence encoder folder instead of the built-in LSA embedder. */
    embedder?: string;
    /** How the ONNX encoder runs. */
    session?: { executionProvider?: ExecutionProviderName; deviceId?: number; allowCpuFallback?: boolean; intraOpThreads?: number };
  } | null;
  fusion: LocalRetrievalOptions;
  /** The learned ranker each worker loads (model files; default the shipped ones), or `null` for fused order. */
  ranker: { model?: string; entailment?: string } | null;
}

/** Messages from the pool to a worker. */
export type ToWorker =
  | { type: 'retrieve'; id: number; query: string; request: LocalRetrieveRequest }
  | { type: 'reload'; id: number }
  | { type: 'close' };

/** Messages from a worker to the pool. */
export type ToPool =
  | { type: 'ready'; vectors: number }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; result: LocalRetrievalResult }
  | { type: 'reloaded'; id: number; vectors: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'log'; message: string };
