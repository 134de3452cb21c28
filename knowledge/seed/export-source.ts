import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { constants, createGzip } from 'node:zlib';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { KnowledgeStore, StoredDocument } from '../store/knowledge-store.js';

export interface ExportOptions {
  source: string;
  /** Output file; gzip-compressed when it ends in `.gz`. Written to a temporary file, then renamed. */
  out: string;
  /** Leave out question-only sections (and documents left without any). Default false. */
  answeredOnly?: boolean;
  onProgress?: (documents: number) => void;
}

export interface ExportReport {
  documents: number;
  sections: number;
  file: string;
}

/**
 * Writes a source as JSON Lines in the generic `jsonl` format (one document per line with its
 * `sections`), which `galen ingest --format jsonl` reads back with the same citation ids. The
 * bundled seed corpus is made with it.
 *
 * @example
 * await exportSource(store, { source: 'medquad', out: 'knowledge/seed/medquad-answers.jsonl.gz', answeredOnly: true });
 */
export async function exportSource(store: KnowledgeStore, options: ExportOptions): Promise<ExportReport> {
  await mkdir(dirname(options.out), { recursive: true });
  const temp = `${options.out}.${process.pid}.tmp`;
  const file = createWriteStream(temp);
  const gz = options.out.endsWith('.gz');
  const sink: Writable = gz ? createGzip({ level: constants.Z_BEST_COMPRESSION }) : file;
  if (gz) sink.pipe(file);
  let documents = 0;
  let sections = 0;
  try {
    for (const doc of store.documents(options.source)) {
      const kept = options.answeredOnly ? doc.sections.filter((s) => s.text.trim()) : doc.sections;
      if (kept.length === 0) continue;
      const line = `${JSON.stringify(toRecord(doc, kept))}\n`;
      if (!sink.write(line)) await once(sink, 'drain');
      documents++;
      sections += kept.length;
      if (documents % 500 === 0) options.onProgress?.(documents);
    }
    sink.end();
    await finished(file);
    await rename(temp, options.out);
  } catch (error) {
    sink.destroy();
    file.destroy();
    await rm(temp, { force: true });
    throw error;
  }
  return { documents, sections, file: options.out };
}

function toRecord(doc: StoredDocument, sections: StoredDocument['sections']) {
  return {
    id: doc.externalId,
    title: doc.title,
    ...(doc.url ? { url: doc.url } : {}),
    language: doc.language,
    ...(doc.focus ? { focus: doc.focus } : {}),
    metadata: doc.metadata ?? {},
    sections,
  };
}
