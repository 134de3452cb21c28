import type { Authority } from '../authority.js';
import type { ParsedDocument } from '../document.js';
import type { InputFile, InputLimits } from './input-file.js';

/** The input formats `galen ingest --format` accepts (besides `auto`). */
export const FORMAT_NAMES = ['medquad', 'medquad-csv', 'pubmedqa', 'chatdoctor-db', 'dialogues', 'jsonl', 'markdown', 'text'] as const;

export type FormatName = (typeof FORMAT_NAMES)[number];

/** A record a parser could not use, and why. */
export interface Rejection {
  path: string;
  line?: number;
  message: string;
}

/** What a parser gets besides the file: limits, progress and a place to report bad records. */
export interface ParseContext {
  limits: InputLimits;
  onBytes(n: number): void;
  reject(line: number | undefined, message: string): void;
}

/** A parsed document and the line (or record number) it started at. */
export interface ParsedRecord {
  doc: ParsedDocument;
  line?: number;
}

/**
 * One input format. `parse` streams documents from one file; it reports bad records through
 * `ctx.reject` and keeps going, and throws only when the whole file is unusable.
 */
export interface InputFormat {
  name: FormatName;
  /** One line for `galen ingest --help`. */
  description: string;
  /** Licence and attribution a source of this format gets unless the operator says otherwise. */
  license?: string;
  attribution?: string;
  /** The authority level a source of this format defaults to; none: the format says nothing of provenance (JSONL, text). */
  authority?: Authority;
  /**
   * Supplementary formats fill in documents of the same id from other files of the same run
   * (MedQuAD's judged answers fill the answer-less A.D.A.M. pairs); they are parsed first.
   */
  supplements?: boolean;
  parse(file: InputFile, ctx: ParseContext): AsyncIterable<ParsedRecord>;
}
