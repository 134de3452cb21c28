import { basename } from 'node:path';
import type { FormatName } from './format.js';
import type { Sniff } from './input-file.js';

/** What `--format auto` makes of a file. */
export type Detection = { format: FormatName } | { skip: string } | { reject: string };

const PAPERWORK = /^(licen[cs]e|copying|notice|readme|changelog)(\.[a-z]+)?$/i;

/**
 * Picks a format from a file's name and first bytes. Licence and readme files beside a dataset
 * are skipped rather than ingested as medical text.
 */
export function detectFormat(path: string, head: Sniff): Detection {
  const name = basename(path);
  if (PAPERWORK.test(name)) return { skip: 'licence or readme file' };
  if (head.binary) return { reject: 'binary file (not text): refused' };
  const ext = /\.([a-z0-9]+)$/i.exec(name.replace(/\.gz$/i, ''))?.[1]?.toLowerCase() ?? '';
  const start = head.head.trimStart();
  switch (ext) {
    case 'xml':
      return /<(Document|doc|DiseaseFile)\b[^>]*>/.test(start) && /<(QAPairs|qaPairs|Focus|doctitle-focus)\b/.test(start)
        ? { format: 'medquad' }
        : { reject: 'XML file that is not MedQuAD' };
    case 'csv': {
      const header = start.split(/\r?\n/, 1)[0] ?? '';
      const columns = header.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
      if (columns.includes('answerid') && columns.includes('answer')) return { format: 'medquad-csv' };
      if (columns.includes('disease')) return { format: 'chatdoctor-db' };
      return { reject: 'CSV with unknown columns (expected MedQuAD judged answers or a ChatDoctor disease table)' };
    }
    case 'md':
    case 'markdown':
      return { format: 'markdown' };
    case 'json':
    case 'jsonl':
    case 'ndjson':
    case 'txt':
    case 'text':
      if (start.startsWith('[') || start.startsWith('{')) return detectJson(start, ext);
      return ext === 'txt' || ext === 'text' ? { format: 'text' } : { reject: 'not JSON' };
    case 'pdf':
      return { reject: 'PDF is not supported; convert it to text or Markdown first' };
    case 'doc':
    case 'docx':
      return { reject: 'Word documents are not supported; save them as text or Markdown first' };
    default:
      return { reject: `unsupported file type ${ext ? `.${ext}` : '(no extension)'}; name a --format` };
  }
}

function detectJson(start: string, ext: string): Detection {
  const firstLine = start.split('\n', 1)[0] ?? '';
  let sample = '';
  if (start.startsWith('[')) {
    sample = start.slice(0, 4096);
  } else if (!start.includes('\n') && start.length >= 8192) {
    // The first record is longer than the sniffed bytes: judge by the keys seen so far.
    sample = start;
  } else {
    try {
      JSON.parse(firstLine);
      sample = firstLine;
    } catch {
      return ext === 'txt' || ext === 'text'
        ? { format: 'text' }
        : { reject: 'a single JSON object, not records: expected JSON Lines or an array of records' };
    }
  }
  const has = (key: string) => sample.includes(`"${key}"`);
  if (has('pmid') && has('sections')) return { format: 'pubmedqa' };
  if ((has('input') && has('output')) || (has('问') && has('答')) || has('conversations')) return { format: 'dialogues' };
  if (has('text') || has('sections')) return { format: 'jsonl' };
  return { reject: 'JSON records of an unknown shape (expected id/title/text, PubMedQA or dialogues)' };
}
