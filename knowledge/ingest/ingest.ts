import { webUrl } from './web-url.js';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { DEFAULT_AUTHORITY, leastAuthority, parseAuthority, type Authority } from '../authority.js';
import type { ParsedDocument } from '../document.js';
import { KnowledgeError } from '../errors.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
import type { IngestCounts } from '../store/ingest-writer.js';
import type { ChunkingOptions } from './chunker.js';
import { detectFormat, type Detection } from './detect-format.js';
import { FORMAT_NAMES, type FormatName, type InputFormat, type ParseContext, type Rejection } from './format.js';
import { FORMATS } from './formats/index.js';
import { checkSize, DEFAULT_LIMITS, sniff, type InputFile, type InputLimits } from './input-file.js';

/** What to ingest and how. */
export interface IngestOptions {
  /** Source name (letters, digits, `.`, `_`, `-`). Re-ingesting a source refreshes it. */
  source: string;
  /** Files and folders (searched recursively, hidden entries skipped). */
  paths: string[];
  /** Input format, or `auto` to detect per file. Default `auto`. */
  format?: FormatName | 'auto';
  /** Licence of the source's content; default: the format's own, else the previous run's, else empty. */
  license?: string;
  /** Attribution text shown with citations; defaulted like `license`. */
  attribution?: string;
  /**
   * How authoritative the source is. Default: the previous run's level, else the least
   * authoritative of the formats read (MedQuAD `reference`, PubMedQA `literature`, ChatDoctor's
   * disease table `encyclopedia`, dialogues `dialogue`), else {@link DEFAULT_AUTHORITY}.
   */
  authority?: Authority;
  chunking?: ChunkingOptions;
  limits?: Partial<InputLimits>;
  /** Called as bytes are read and documents written. */
  onProgress?: (progress: IngestProgress) => void;
  /** Called for each rejected file or record, as it happens. */
  onReject?: (rejection: Rejection) => void;
  /** Aborting rolls the whole run back. */
  signal?: AbortSignal;
}

export interface IngestProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  files: number;
  documents: number;
  file: string;
}

/** The outcome of an ingest run, as `galen ingest` summarises it. */
export interface IngestReport extends IngestCounts {
  source: string;
  /** The source's authority level after this run. */
  authority: Authority;
  /** Formats used, by file count. */
  formats: Record<string, number>;
  files: number;
  skippedFiles: number;
  /** Files and records that could not be used. */
  rejected: number;
  /** The first 1,000 rejections (all of them are counted in `rejected`). */
  rejections: Rejection[];
  /** Documents whose id appeared twice in this run (the later ones are skipped and rejected). */
  duplicates: number;
  documentsSeen: number;
  durationMs: number;
}

const MAX_REPORTED_REJECTIONS = 1000;

/**
 * Reads `paths` into source `source` as one transaction: new documents are added, changed ones
 * updated, vanished ones removed, unchanged ones left alone. A bad file or record is reported and
 * skipped; documents from a file that could not be read are kept. On any other failure (or abort)
 * the store is left exactly as it was.
 *
 * @example
 * const report = await ingest(store, { source: 'medquad', paths: ['../shared/data/medquad'] });
 * console.log(report.added, report.updated, report.removed);
 */
export async function ingest(store: KnowledgeStore, options: IngestOptions): Promise<IngestReport> {
  const started = performance.now();
  const format = options.format ?? 'auto';
  if (format !== 'auto' && !FORMAT_NAMES.includes(format)) {
    throw new KnowledgeError('UNKNOWN_FORMAT', `Unknown format ${JSON.stringify(format)}; use one of auto, ${FORMAT_NAMES.join(', ')}.`);
  }
  if (options.authority !== undefined) parseAuthority(options.authority);
  const limits: InputLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const rejections: Rejection[] = [];
  let rejected = 0;
  const reject = (r: Rejection) => {
    rejected++;
    if (rejections.length < MAX_REPORTED_REJECTIONS) rejections.push(r);
    options.onReject?.(r);
  };
  const unreadable = new Set<string>();

  const files = await collectFiles(options.paths);
  const plan: Array<{ file: InputFile; format: InputFormat }> = [];
  let skippedFiles = 0;
  // Sizes and first bytes are read with some concurrency: for folders of many small files
  // (MedQuAD's 11,000 XML files) the round trips otherwise dominate.
  const decisions = await mapConcurrent(files, 16, async (file): Promise<Detection> => {
    try {
      file.size = await checkSize(file.path, limits);
      const head = await sniff(file.path);
      file.gzip = head.gzip;
      if (format !== 'auto') {
        if (head.binary) throw new KnowledgeError('INVALID_INPUT', 'binary file (not text): refused');
        return { format: format as FormatName };
      }
      return detectFormat(file.path, head);
    } catch (error) {
      return { reject: (error as Error).message };
    }
  });
  files.forEach((file, i) => {
    const decision = decisions[i]!;
    if ('skip' in decision) skippedFiles++;
    else if ('reject' in decision) {
      unreadable.add(file.path);
      reject({ path: file.path, message: decision.reject });
    } else plan.push({ file, format: FORMATS[decision.format] });
  });
  // Supplementary files are read first so that the documents they complete can absorb them.
  plan.sort((a, b) => Number(b.format.supplements ?? false) - Number(a.format.supplements ?? false));

  const previous = store.listSources().find((s) => s.name === options.source);
  const usedFormats = [...new Set(plan.map((p) => p.format))];
  const pick = (key: 'license' | 'attribution') => {
    const given = options[key];
    if (given !== undefined) return given;
    const defaults = [...new Set(usedFormats.map((f) => f[key]).filter((v): v is string => Boolean(v)))];
    return defaults.length === 1 ? defaults[0]! : (previous?.[key] ?? '');
  };
  const authority =
    options.authority ?? previous?.authority ?? leastAuthority(usedFormats.flatMap((f) => f.authority ?? [])) ?? DEFAULT_AUTHORITY;
  const writer = store.beginIngest(
    {
      name: options.source,
      format,
      license: pick('license'),
      attribution: pick('attribution'),
      authority,
      paths: options.paths.map((p) => resolve(p)),
    },
    options.chunking,
  );

  const progress: IngestProgress = {
    bytesDone: 0,
    bytesTotal: plan.reduce((n, p) => n + p.file.size, 0),
    filesDone: 0,
    files: plan.length,
    documents: 0,
    file: '',
  };
  const formats: Record<string, number> = {};
  const supplements = new Map<string, { doc: ParsedDocument; path: string; line: number | undefined }>();
  let duplicates = 0;
  let lastReport = 0;
  const report = (force = false) => {
    const now = performance.now();
    if (force || now - lastReport > 100) {
      lastReport = now;
      options.onProgress?.({ ...progress });
    }
  };
  const write = (doc: ParsedDocument, path: string, line: number | undefined) => {
    // Only web links are kept: a javascript: or data: URL would become a clickable citation.
    if (doc.url !== undefined && webUrl(doc.url) === null) {
      reject({ path, ...(line === undefined ? {} : { line }), message: `kept without its url: only http(s) URLs are stored` });
      delete doc.url;
    }
    const outcome = writer.apply(doc, line === undefined ? { path } : { path, line });
    if (outcome === 'duplicate') {
      duplicates++;
      const first = writer.firstSeen(doc.externalId);
      reject({
        path,
        ...(line === undefined ? {} : { line }),
        message: `duplicate document id ${JSON.stringify(doc.externalId)} (first at ${first?.path}${first?.line ? `:${first.line}` : ''}); skipped`,
      });
    }
    progress.documents++;
  };

  try {
    for (const { file, format: fmt } of plan) {
      options.signal?.throwIfAborted();
      progress.file = file.relativePath;
      formats[fmt.name] = (formats[fmt.name] ?? 0) + 1;
      const ctx: ParseContext = {
        limits,
        onBytes: (n) => {
          progress.bytesDone += n;
          report();
        },
        reject: (line, message) => reject({ path: file.path, ...(line === undefined ? {} : { line }), message }),
      };
      const bytesBefore = progress.bytesDone;
      try {
        for await (const { doc, line } of fmt.parse(file, ctx)) {
          options.signal?.throwIfAborted();
          if (fmt.supplements) {
            supplements.set(doc.externalId, { doc, path: file.path, line });
            continue;
          }
          const extra = supplements.get(doc.externalId);
          if (extra) supplements.delete(doc.externalId);
          write(extra ? mergeSupplement(doc, extra.doc) : doc, file.path, line);
        }
      } catch (error) {
        if (options.signal?.aborted || !(error instanceof KnowledgeError)) throw error;
        unreadable.add(file.path);
        reject({ path: file.path, message: error.message });
      }
      progress.bytesDone = bytesBefore + file.size;
      progress.filesDone++;
      report(true);
    }
    // Supplementary documents that completed nothing stand alone.
    for (const { doc, path, line } of supplements.values()) write(doc, path, line);
    options.signal?.throwIfAborted();
    const counts = writer.commit(unreadable);
    return {
      ...counts,
      source: options.source,
      authority,
      formats,
      files: files.length,
      skippedFiles,
      rejected,
      rejections,
      duplicates,
      documentsSeen: progress.documents,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    writer.rollback();
    throw error;
  }
}

/**
 * Folds a supplementary document (judged answers) into the primary one (MedQuAD XML): answers fill
 * the primary's question-only pairs (taking the supplement's citation id, as the text is its), and
 * pairs the primary lacks are appended. The primary's title, URL and annotations win.
 */
export function mergeSupplement(primary: ParsedDocument, supplement: ParsedDocument): ParsedDocument {
  const sections = primary.sections.map((s) => ({ ...s }));
  const byPid = new Map(sections.map((s, i) => [String(s.metadata?.pid ?? ''), i]));
  for (const extra of supplement.sections) {
    const i = byPid.get(String(extra.metadata?.pid ?? ''));
    if (i === undefined) {
      sections.push(extra);
      continue;
    }
    const target = sections[i]!;
    if (!target.text.trim() && extra.text.trim()) {
      sections[i] = {
        ...target,
        ...(extra.externalId ? { externalId: extra.externalId } : {}),
        text: extra.text,
        metadata: { ...target.metadata, ...extra.metadata, question: target.question ?? extra.question },
      };
    }
  }
  return { ...primary, sections };
}

/** `fn` over `items` with at most `limit` calls in flight, results in order. */
async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function collectFiles(paths: string[]): Promise<InputFile[]> {
  if (paths.length === 0) throw new KnowledgeError('INVALID_INPUT', 'Nothing to ingest: name at least one file or folder.');
  const out: InputFile[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const root = resolve(p);
    let info;
    try {
      info = await stat(root);
    } catch {
      throw new KnowledgeError('INVALID_INPUT', `No such file or folder: ${p}`);
    }
    const add = (path: string, rel: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      out.push({ path, relativePath: rel, size: 0, gzip: false });
    };
    if (info.isDirectory()) {
      for (const path of await walk(root)) add(path, relative(root, path).split('\\').join('/'));
    } else {
      add(root, basename(root));
    }
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(path)));
    else if (e.isFile()) out.push(path);
  }
  return out;
}
