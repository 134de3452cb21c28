/** Licence of Wikipedia text, to be shown with every passage quoted from it. */
export const WIKIPEDIA_LICENSE = 'CC BY-SA 4.0';
/** Attribution Wikipedia's licence asks for. */
export const WIKIPEDIA_ATTRIBUTION = 'Wikipedia contributors';

/** A piece of a Wikipedia article (at most `maxChars` long), with what a citation needs. */
export interface WikipediaPassage {
  /** Article title as the wiki spells it (after redirects). */
  title: string;
  /** Heading of the section the text is from; `''` for the lead (the text before the first heading). */
  section: string;
  /** Link to the article, with `#Section_anchor` for a section. */
  url: string;
  text: string;
  license: typeof WIKIPEDIA_LICENSE;
  attribution: typeof WIKIPEDIA_ATTRIBUTION;
  /** 1-based rank of the article among those the retriever read (the wiki's search rank, title matches first). */
  rank: number;
  /** The article's page id on that wiki. */
  pageId: number;
}

/** How a retrieval ended. Only `ok` and `cached` mean the wiki's answer was complete. */
export type WikipediaStatus = 'ok' | 'cached' | 'timeout' | 'error' | 'open-circuit';

/** What `WikipediaRetriever.retrieve` resolves to; it never rejects. */
export interface WikipediaResult {
  /** Best first; empty when the wiki was down, slow, garbled or had nothing. */
  passages: WikipediaPassage[];
  status: WikipediaStatus;
  /** Wall-clock time of the call, milliseconds. */
  tookMs: number;
}
