/**
 * Large synthetic stores for the knowledge and retrieval benchmarks: one-chunk documents made of
 * the shared corpus's own English sentences and titles, so vocabulary and lengths are the corpus's.
 */
import type { KnowledgeStore, ParsedDocument } from '../knowledge/index.js';
import { maxRssMiB, round, seededRandom, storeSize } from './common.js';

/** Largest synthetic document text: below the chunker's 1,500 characters, so one document = one chunk. */
export const SYNTHETIC_MAX_CHARS = 1400;

/** The material synthetic documents are drawn from. */
export interface SentencePool {
  /** English sentences of 25–500 characters, in chunk order. */
  sentences: string[];
  /** Titles of the English documents, sorted. */
  titles: string[];
}

/** What building a synthetic store took and made. */
export interface SyntheticStoreFigures {
  documents: number;
  chunks: number;
  textMB: number;
  buildSeconds: number;
  applySeconds: number;
  commitSeconds: number;
  checkpointSeconds: number;
  chunksPerS: number;
  storeFileMB: number;
  walMBBeforeCheckpoint: number;
  maxRssMiB: number;
}

/**
 * The English sentences of a store's chunks (CJK chunks skipped) and its English document titles,
 * as material for {@link syntheticDocuments}.
 *
 * @example
 * const pool = sentencePool(corpusStore); // { sentences: [...], titles: [...] }
 */
export function sentencePool(store: KnowledgeStore): SentencePool {
  const sentences: string[] = [];
  const split = /(?<=[.!?])\s+(?=["'([]?[A-Z0-9])/;
  for (const text of store.db
    .prepare('SELECT text FROM chunks WHERE is_cjk = 0 ORDER BY id')
    .pluck()
    .iterate() as IterableIterator<string>) {
    for (const raw of text.split(split)) {
      const s = raw.replace(/\s+/g, ' ').trim();
      if (s.length >= 25 && s.length <= 500) sentences.push(s);
    }
  }
  const titles = store.db
    .prepare("SELECT DISTINCT title FROM documents WHERE language = 'en' AND title != '' ORDER BY title")
    .pluck()
    .all() as string[];
  return { sentences, titles };
}

/**
 * Synthetic documents, generated one at a time: a pool title and 4–8 pool sentences (at most
 * {@link SYNTHETIC_MAX_CHARS}), the same for the same seed.
 *
 * @example
 * for (const doc of syntheticDocuments(pool, 1000, 7)) writer.apply(doc, { path: 'synthetic', line: 0 });
 */
export function* syntheticDocuments(pool: SentencePool, count: number, seed: number): Generator<ParsedDocument> {
  const rand = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
  for (let i = 0; i < count; i++) {
    const want = 4 + Math.floor(rand() * 5);
    let text = pick(pool.sentences);
    for (let s = 1; s < want; s++) {
      const next = pick(pool.sentences);
      if (text.length + 1 + next.length > SYNTHETIC_MAX_CHARS) break;
      text += ` ${next}`;
    }
    yield { externalId: `syn-${i}`, title: pick(pool.titles), language: 'en', sections: [{ text }] };
  }
}

/**
 * Writes `count` {@link syntheticDocuments} into `store` as the source `synthetic` in one ingest,
 * folds the WAL into the main file, and times each part.
 *
 * @example
 * const figures = buildSyntheticStore(store, sentencePool(corpus), 50_000, 20240611, console.log);
 * figures.chunksPerS; // e.g. 6183
 */
export function buildSyntheticStore(
  store: KnowledgeStore,
  pool: SentencePool,
  count: number,
  seed: number,
  log: (m: string) => void,
): SyntheticStoreFigures {
  const t0 = performance.now();
  const writer = store.beginIngest({ name: 'synthetic', format: 'jsonl', license: '', attribution: '', paths: [] });
  let i = 0;
  let chars = 0;
  let lastLog = t0;
  try {
    for (const doc of syntheticDocuments(pool, count, seed)) {
      chars += doc.sections[0]!.text.length;
      writer.apply(doc, { path: 'synthetic', line: i });
      i++;
      const now = performance.now();
      if (now - lastLog > 15_000) {
        lastLog = now;
        log(
          `synthetic: ${i} / ${count} documents, ${Math.round(i / ((now - t0) / 1000))} docs/s, rss ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MiB`,
        );
      }
    }
  } catch (error) {
    writer.rollback();
    throw error;
  }
  const tApplied = performance.now();
  const counts = writer.commit();
  const tCommitted = performance.now();
  log(`synthetic: applied ${i} documents in ${round((tApplied - t0) / 1000, 1)} s, commit ${round((tCommitted - tApplied) / 1000, 1)} s`);
  // Fold the WAL into the main file so the size below is the store's real size.
  const walMB = storeSize(store).walMB;
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const tCheckpointed = performance.now();
  const seconds = (tCheckpointed - t0) / 1000;
  const figures = {
    documents: i,
    chunks: counts.chunksAdded,
    textMB: round(chars / 1e6, 1),
    buildSeconds: round(seconds, 1),
    applySeconds: round((tApplied - t0) / 1000, 1),
    commitSeconds: round((tCommitted - tApplied) / 1000, 1),
    checkpointSeconds: round((tCheckpointed - tCommitted) / 1000, 1),
    chunksPerS: Math.round(counts.chunksAdded / seconds),
    storeFileMB: storeSize(store).fileMB,
    walMBBeforeCheckpoint: walMB,
    maxRssMiB: maxRssMiB(),
  };
  log(`synthetic: ${figures.chunks} chunks in ${figures.buildSeconds} s (${figures.chunksPerS} chunks/s), ${figures.storeFileMB} MB`);
  return figures;
}
