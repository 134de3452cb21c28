import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../../knowledge/index.js';

/** The bundled focus vocabulary, rebuilt by `npm run train:analysis`. */
export const FOCUS_LEXICON_FILE = join(PACKAGE_ROOT, 'retrieval', 'analysis', 'models', 'focus-lexicon.json.gz');

/** A subject the corpus knows, with every name it goes by. */
export interface LexiconEntry {
  /** The corpus's name (MedQuAD's `Focus`, or a ChatDoctor disease name). */
  name: string;
  /** `disease`, `drug`, `supplement`, `test`, … when known. */
  kind?: string;
  /** Its first UMLS concept id, when the corpus metadata has one. */
  cui?: string;
  /** Other names (synonyms, "Also called"), as written. */
  aliases?: string[];
  /** The lookup phrases, compiled from the name and aliases ahead of time (saves a second at start). */
  phrases?: { names: string[]; synonyms: string[] };
}

/** The focus vocabulary as saved. */
export interface FocusLexiconFile {
  format: 'galen-focus-lexicon';
  version: 1;
  entries: LexiconEntry[];
  /**
   * Correctly spelt words of the corpus's text (its answers and doctors' replies): a word of the
   * question found here is never respelt as a focus term.
   */
  words: string[];
}

/** Reads a saved lexicon (gzipped JSON); default the bundled one. */
export function loadFocusLexicon(path = FOCUS_LEXICON_FILE): FocusLexiconFile {
  const file = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as FocusLexiconFile;
  if (file.format !== 'galen-focus-lexicon' || file.version !== 1) throw new Error('Not a Galen focus lexicon');
  return file;
}
