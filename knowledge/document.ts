import type { Authority } from './authority.js';

/** Free-form metadata kept beside a document or section (stored as JSON). */
export type Metadata = Record<string, unknown>;

/**
 * A part of a document: a MedQuAD question–answer pair, an abstract's labelled section,
 * a Markdown heading's body. A section with empty `text` is a question-only record:
 * it is stored and exported, but never becomes a (empty) chunk.
 */
export interface ParsedSection {
  /** Citation id of this part (e.g. `GHR_0000804_Sec2`); defaults to the document's. */
  externalId?: string;
  heading?: string;
  /** The question this section answers, when the source is question–answer shaped. */
  question?: string;
  text: string;
  metadata?: Metadata;
}

/** A document as a format parser produces it, before chunking. */
export interface ParsedDocument {
  /** Stable id within its source (e.g. `GHR_0000804`, `PMID_10135926`, a relative path). */
  externalId: string;
  title: string;
  url?: string;
  /** BCP 47 language tag; detected from the text when a parser leaves it out. */
  language?: string;
  /** Short subject terms (MedQuAD focus and synonyms, MeSH terms) searched with a high weight. */
  focus?: string;
  sections: ParsedSection[];
  metadata?: Metadata;
}

/** Where a parsed document or a rejected record came from, for reports. */
export interface Origin {
  path: string;
  line?: number;
}

/** A chunk as stored and searched, with its document's and source's provenance. */
export interface Chunk {
  chunkId: number;
  externalId: string;
  documentExternalId: string;
  source: string;
  title: string;
  section: string;
  question: string;
  url: string | null;
  language: string;
  text: string;
  license: string;
  attribution: string;
  /** Its source's authority level: how far its text can be trusted as evidence. */
  authority: Authority;
  metadata: Metadata;
}
