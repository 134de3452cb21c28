/**
 * Local retrieval (BM25 and vectors) on worker threads, so that concurrent questions use every
 * core: {@link LocalRetrievalPool} is a `LocalRetriever` the pipeline takes in place of its
 * own-thread one.
 */
export { LocalRetrievalPool, type LocalRetrievalPoolOptions, type PoolLogger } from './local-retrieval-pool.js';
export type { PoolWorkerConfig } from './pool-messages.js';
export { RetrievalWorkerError, type RetrievalWorkerErrorCode } from './errors.js';
