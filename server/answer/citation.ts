import { webUrl } from '../../knowledge/index.js';
import type { Evidence } from '../../retrieval/pipeline/index.js';

/** A source an answer cites as `[n]`: everything a reader needs to find and credit it. */
export interface Citation {
  /** The marker number used in the answer text. */
  n: number;
  title: string;
  section: string;
  url: string | null;
  /** Knowledge-base source name (e.g. `medquad`) or `wikipedia-live`. */
  source: string;
  license: string;
  attribution: string;
  /** The chunk's citation id (e.g. `GHR_0000804_Sec2`), or the article URL for live Wikipedia. */
  externalId: string;
  /** The passage's opening words (at most {@link PREVIEW_CHARS} characters), for a reader's hover preview. */
  preview: string;
}

/** Longest {@link Citation.preview}. */
export const PREVIEW_CHARS = 200;

/** A passage as given to the answerer, numbered from 1 in the order it is shown. */
export interface NumberedPassage {
  n: number;
  evidence: Evidence;
}

/**
 * The citation of a numbered passage.
 *
 * @example
 * toCitation({ n: 1, evidence }).externalId // → 'GHR_0000804_Sec2'
 */
export function toCitation(passage: NumberedPassage): Citation {
  const e = passage.evidence;
  return {
    n: passage.n,
    title: e.title,
    section: e.section,
    url: webUrl(e.url),
    source: e.source,
    license: e.license,
    attribution: e.attribution,
    externalId: e.externalId,
    preview: previewOf(e.text),
  };
}

/** The text's first {@link PREVIEW_CHARS} characters, whitespace collapsed, cut at a word with an ellipsis. */
function previewOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= PREVIEW_CHARS) return flat;
  const cut = flat.slice(0, PREVIEW_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > PREVIEW_CHARS / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, '')}…`;
}
