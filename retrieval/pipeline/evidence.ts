import type { Authority } from '../../knowledge/index.js';
import type { Provenance } from '../fusion/index.js';

/** Where evidence can come from. */
export type EvidenceSource = 'corpus' | 'vector' | 'wikipedia';

/** A passage of evidence for a question, with everything a citation needs and how it was found. */
export interface Evidence {
  /** Identity across retrievers: `chunk:<id>` for the local corpus, `wikipedia:<url>#<n>` for live passages. */
  key: string;
  /** Store row id of a local chunk; absent for live Wikipedia passages. */
  chunkId?: number;
  /** Citation id: the chunk's externalId (e.g. `GHR_0000804_Sec2`), or the article URL for Wikipedia. */
  externalId: string;
  /** Source name: a knowledge-base source (e.g. `medquad`) or `wikipedia-live`. */
  source: string;
  title: string;
  section: string;
  url: string | null;
  text: string;
  license: string;
  attribution: string;
  /** How authoritative its source is (`reference`, `literature`, `encyclopedia`, `dialogue`); live Wikipedia is `encyclopedia`. */
  authority: Authority;
  /** Ranking score, higher is better: the fused score (weighted reciprocal rank), or the reranker's when one reordered the hit. */
  score: number;
  /** Which retrievers found it, at what rank (and their own score when they have one); `reranker` or `ranker` when one reordered it. */
  retrievers: Provenance[];
  /** Cosine similarity of the question to this chunk, when the vector index scored it (a ranking feature). */
  similarity?: number;
}

/** Folds a near-identical passage's provenance into the one kept (each retriever once). */
export function foldProvenance(kept: Evidence, dropped: Evidence): void {
  for (const p of dropped.retrievers) if (!kept.retrievers.some((q) => q.retriever === p.retriever)) kept.retrievers.push(p);
}
