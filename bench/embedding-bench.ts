/**
 * Embedding benchmark: what a real sentence encoder costs against the built-in LSA embedder.
 * Texts per second of a random-weight BERT of all-MiniLM-L6-v2's shape (6 layers, hidden 384,
 * 12 heads, feed-forward 1536, max_seq_length 256; random weights cost the same as trained ones)
 * at batch sizes 1, 16 and 64, on chunk texts of the shared corpus (PubMedQA abstracts and
 * Wikipedia articles, chunked as Galen ingests them); the LSA embedder on the same texts; and a
 * MiniLM-shaped cross-encoder reranking 20 passages per question.
 *
 * Overrides: `--set texts=N` (chunk texts embedded per batch size), `--set threads=N`
 * (onnxruntime intra-op threads; default onnxruntime's choice).
 */
import { join } from 'node:path';
import { ingest, KnowledgeStore } from '../knowledge/index.js';
import { loadEmbeddingModel, LsaEmbedder } from '../model/embedding/index.js';
import { loadRerankingModel } from '../model/reranking/index.js';
import { chunkEmbeddingText } from '../retrieval/vector/chunk-embedding-text.js';
import { writeTinyBert } from '../tests/helpers/tiny-bert.js';
import { latencyStats, round, SHARED_DATA, sig, tempDir, type BenchModule, type BenchOptions } from './common.js';
import { evenSample } from '../retrieval/vector/index.js';

/** all-MiniLM-L6-v2's shape. */
const MINILM_SHAPE = { layers: 6, hidden: 384, heads: 12, intermediate: 1536, maxSeqLength: 256 } as const;
const BATCH_SIZES = [1, 16, 64] as const;
const RERANK_PASSAGES = 20;
const LSA_DIMENSION = 256;

export const embeddingBench: BenchModule = {
  name: 'embedding',
  description: 'ONNX MiniLM-shaped encoder texts/s at batch 1/16/64 vs LSA on corpus chunks; cross-encoder reranking latency',
  run: runEmbeddingBench,
};

async function runEmbeddingBench(options: BenchOptions): Promise<Record<string, unknown>> {
  const { log } = options;
  const textCount = intOption(options.overrides.texts, options.quick ? 64 : 512);
  const threads = options.overrides.threads === undefined ? undefined : intOption(options.overrides.threads, 1);
  const session = threads === undefined ? {} : { intraOpThreads: threads };
  const tmp = tempDir('galen-bench-embedding-');
  try {
    const chunks = await corpusChunkTexts(join(tmp.dir, 'store'), log);
    const texts = evenSample(chunks.length, textCount).map((i) => chunks[i]!);
    const chars = texts.reduce((s, t) => s + t.length, 0) / texts.length;
    log(`${chunks.length} chunk texts, ${texts.length} embedded per run (mean ${Math.round(chars)} characters)`);

    const encoderDir = join(tmp.dir, 'minilm-encoder');
    writeTinyBert(encoderDir, { ...MINILM_SHAPE, seed: 1 });
    const onnx: Record<string, unknown> = {};
    for (const batchSize of BATCH_SIZES) {
      const model = await loadEmbeddingModel(encoderDir, { batchSize, ...session });
      try {
        await model.embed(texts.slice(0, Math.min(8, texts.length))); // warm-up: first-run allocations
        const t0 = performance.now();
        await model.embed(texts);
        const seconds = (performance.now() - t0) / 1000;
        onnx[`batch${batchSize}`] = {
          textsPerS: sig(texts.length / seconds),
          msPerText: sig((seconds * 1000) / texts.length),
          seconds: round(seconds, 2),
        };
        log(`onnx batch ${batchSize}: ${sig(texts.length / seconds)} texts/s`);
      } finally {
        await model.close();
      }
    }

    const fitStarted = performance.now();
    const lsa = LsaEmbedder.fit(chunks, { dimension: LSA_DIMENSION });
    const fitSeconds = (performance.now() - fitStarted) / 1000;
    const t0 = performance.now();
    await lsa.embed(texts);
    const lsaSeconds = (performance.now() - t0) / 1000;
    log(`lsa: ${sig(texts.length / lsaSeconds)} texts/s (fit on ${chunks.length} chunks in ${round(fitSeconds, 1)} s)`);

    const rerankerDir = join(tmp.dir, 'minilm-cross-encoder');
    writeTinyBert(rerankerDir, { ...MINILM_SHAPE, head: 'classifier', seed: 2 });
    const reranker = await loadRerankingModel(rerankerDir, { maxSequenceLength: 512, ...session });
    const questions = options.quick ? 3 : 10;
    const latencies: number[] = [];
    const rerankBatch = reranker.info.batchSize;
    try {
      await reranker.score('warm-up', texts.slice(0, 2));
      for (let q = 0; q < questions; q++) {
        const passages = texts.slice((q * RERANK_PASSAGES) % texts.length).slice(0, RERANK_PASSAGES);
        const started = performance.now();
        await reranker.score('What are the symptoms and treatment of this condition?', passages);
        latencies.push(performance.now() - started);
      }
    } finally {
      await reranker.close();
    }

    return {
      model: { ...MINILM_SHAPE, vocab: 30522, weights: 'random (same cost as trained)' },
      threads: threads ?? 'onnxruntime default',
      texts: texts.length,
      meanChars: Math.round(chars),
      onnx,
      lsa: {
        dimension: lsa.dimension,
        fitChunks: chunks.length,
        fitSeconds: round(fitSeconds, 1),
        textsPerS: sig(texts.length / lsaSeconds),
        msPerText: sig((lsaSeconds * 1000) / texts.length),
      },
      reranking: {
        passagesPerQuestion: RERANK_PASSAGES,
        batchSize: rerankBatch,
        maxSequenceLength: 512,
        perQuestion: latencyStats(latencies),
      },
    };
  } finally {
    tmp.cleanup();
  }
}

/** The shared PubMedQA abstracts and Wikipedia articles, ingested and chunked as Galen does, as embedding texts. */
async function corpusChunkTexts(dataDir: string, log: (m: string) => void): Promise<string[]> {
  const store = KnowledgeStore.open({ dataDir });
  try {
    await ingest(store, { source: 'pubmedqa', paths: [join(SHARED_DATA, 'pubmedqa')] });
    await ingest(store, {
      source: 'wikipedia',
      paths: [join(SHARED_DATA, 'wiki')],
      license: 'CC BY-SA 4.0',
      attribution: 'Wikipedia contributors',
    });
    log(`ingested ${store.countChunks()} chunks`);
    const texts: string[] = [];
    for (const page of store.allChunkTexts()) for (const chunk of page) texts.push(chunkEmbeddingText(chunk));
    return texts;
  } finally {
    store.close();
  }
}

function intOption(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}
