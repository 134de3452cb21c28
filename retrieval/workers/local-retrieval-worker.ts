/**
 * Worker-thread entry of {@link LocalRetrievalPool}: opens its own connection to the store and its
 * own copy of the vector index (never syncing it: the main thread keeps the files in step and says
 * when to reload), then answers retrieval requests as they arrive (the pool sends a few at a time).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KnowledgeStore } from '../../knowledge/index.js';
import { loadEmbeddingModel, type OnnxEmbeddingModel } from '../../model/embedding/index.js';
import { LocalRetrieval, noVectorResult, type VectorSearcher } from '../pipeline/local-retrieval.js';
import { LearnedRanker } from '../ranking/index.js';
import { openVectorRetrieval, type VectorRetrieval } from '../vector/index.js';
import type { PoolWorkerConfig, ToPool, ToWorker } from './pool-messages.js';

const config = workerData as PoolWorkerConfig;
const port = parentPort!;
const post = (message: ToPool) => port.postMessage(message);
// What opening the index finds is the main thread's to report (it syncs and repairs): debug here.
const log = (message: string) => post({ type: 'log', message });
const logger = { info: log, warn: log };

let store: KnowledgeStore | undefined;
let embedder: OnnxEmbeddingModel | undefined;
let vectors: VectorRetrieval | undefined;
/** A replaced index, closed once no retrieval that may still use it is running. */
let retired: VectorRetrieval | undefined;
let running = 0;

async function openVectors(): Promise<VectorRetrieval | undefined> {
  const settings = config.vectors;
  if (!settings || !store) return undefined;
  if (settings.embedder && !embedder) {
    embedder = await loadEmbeddingModel(settings.embedder, { ...settings.session, onWarning: logger.warn });
  }
  return openVectorRetrieval({
    dataDir: config.dataDir,
    store,
    logger,
    // The main thread hashed these files when it wrote or opened them; a size check suffices here.
    verifyChecksums: false,
    ...(settings.efSearch !== undefined ? { efSearch: settings.efSearch } : {}),
    ...(settings.lsaDimension !== undefined ? { lsa: { dimension: settings.lsaDimension } } : {}),
    ...(embedder ? { embedder } : {}),
  });
}

function retireIdle(): void {
  if (running === 0 && retired) {
    retired.close();
    retired = undefined;
  }
}

async function start(): Promise<LocalRetrieval> {
  store = KnowledgeStore.open({ dataDir: config.dataDir });
  vectors = await openVectors();
  void vectors?.warm();
  // Delegates to whichever index is current, so a reload swaps it under the same searcher.
  const searcher: VectorSearcher = {
    search: (question, k, scoreChunks, skipNearest) =>
      vectors?.searcher.search(question, k, scoreChunks, skipNearest) ?? Promise.resolve(noVectorResult()),
  };
  const files = config.ranker;
  const ranker = files
    ? LearnedRanker.load(store, {
        ...(files.model ? { ranker: files.model } : {}),
        ...(files.entailment ? { entailment: files.entailment } : {}),
      })
    : undefined;
  const local = new LocalRetrieval(
    { store, ...(config.vectors ? { vector: searcher } : {}), ...(ranker ? { ranker } : {}) },
    config.fusion,
  );
  local.warm();
  return local;
}

start().then(
  (local) => {
    port.on('message', (message: ToWorker) => {
      if (message.type === 'retrieve') {
        running++;
        local
          .retrieve(message.query, message.request)
          .then(
            (result) => post({ type: 'result', id: message.id, result }),
            (error: unknown) => post({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) }),
          )
          .finally(() => {
            running--;
            retireIdle();
          });
      } else if (message.type === 'reload') {
        openVectors().then(
          (next) => {
            if (retired) retired.close();
            retired = vectors;
            vectors = next;
            void next?.warm();
            retireIdle();
            post({ type: 'reloaded', id: message.id, vectors: next?.count ?? 0 });
          },
          (error: unknown) => post({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) }),
        );
      } else if (message.type === 'close') {
        vectors?.close();
        retired?.close();
        void embedder?.close();
        store?.close();
        port.close();
      }
    });
    post({ type: 'ready', vectors: vectors?.count ?? 0 });
  },
  (error: unknown) => post({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
);
