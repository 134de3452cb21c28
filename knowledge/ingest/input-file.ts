import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { KnowledgeError } from '../errors.js';

/** Limits that keep hostile or accidental inputs from exhausting memory. */
export interface InputLimits {
  /** Largest file accepted at all, in bytes. Default 2 GiB. */
  maxFileBytes: number;
  /** Largest file read whole (XML, Markdown, text, JSON arrays) and largest single line/record. Default 64 MiB. */
  maxRecordBytes: number;
}

export const DEFAULT_LIMITS: InputLimits = { maxFileBytes: 2 * 1024 ** 3, maxRecordBytes: 64 * 1024 ** 2 };

/** A file to ingest, with what it is relative to the path the user named. */
export interface InputFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the ingest argument it was found under (stable across machines). */
  relativePath: string;
  size: number;
  gzip: boolean;
}

/** First bytes of a file (decompressed when gzip), for format detection. */
export interface Sniff {
  gzip: boolean;
  binary: boolean;
  head: string;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Reads up to 16 KiB of the start of a file and judges whether it is text. */
export async function sniff(path: string): Promise<Sniff> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(16384);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    let head: Buffer = buf.subarray(0, bytesRead);
    const gzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    if (gzip) head = await gunzipPrefix(path, 16384);
    return { gzip, binary: looksBinary(head), head: head.toString('utf8') };
  } finally {
    await handle.close();
  }
}

async function gunzipPrefix(path: string, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      total += chunk.length;
      if (total >= bytes) break;
    }
  } catch {
    // A truncated gzip still yields a usable prefix for sniffing; the full read reports the error.
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

/** NUL bytes, or many control characters, or invalid UTF-8: not a text file. */
export function looksBinary(head: Buffer): boolean {
  if (head.length === 0) return false;
  let control = 0;
  for (const b of head) {
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  if (control / head.length > 0.02) return true;
  const text = head.toString('utf8');
  // A multi-byte character cut at the end of the sample is not corruption.
  const replacements = (text.slice(0, -2).match(/\uFFFD/g) ?? []).length;
  return replacements / Math.max(1, text.length) > 0.01;
}

/** Refuses files over the size limit before anything reads them. */
export async function checkSize(path: string, limits: InputLimits): Promise<number> {
  const { size } = await stat(path);
  if (size > limits.maxFileBytes) {
    throw new KnowledgeError('INVALID_INPUT', `file is ${formatBytes(size)}, over the ${formatBytes(limits.maxFileBytes)} limit`);
  }
  return size;
}

/**
 * The file's bytes as a stream (gunzipped when needed); `onBytes` receives the count of raw
 * bytes read from disk, for progress.
 */
export function openStream(file: InputFile, onBytes: (n: number) => void): Readable {
  const raw = createReadStream(file.path);
  raw.on('data', (chunk: Buffer | string) => onBytes(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length));
  return file.gzip ? raw.pipe(createGunzip()) : raw;
}

/** Reads a whole (decompressed) file as UTF-8, refusing files over `maxRecordBytes`. */
export async function readWholeText(file: InputFile, limits: InputLimits, onBytes: (n: number) => void): Promise<string> {
  if (!file.gzip && file.size > limits.maxRecordBytes) {
    throw new KnowledgeError(
      'INVALID_INPUT',
      `file is ${formatBytes(file.size)}; this format is read whole and the limit is ${formatBytes(limits.maxRecordBytes)}: split it or use JSONL`,
    );
  }
  if (!file.gzip) {
    const buffer = await readFile(file.path);
    onBytes(buffer.length);
    return stripBom(buffer.toString('utf8'));
  }
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of openStream(file, onBytes) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limits.maxRecordBytes) {
      throw new KnowledgeError(
        'INVALID_INPUT',
        `decompressed file exceeds the ${formatBytes(limits.maxRecordBytes)} limit for formats read whole`,
      );
    }
    parts.push(chunk);
  }
  return stripBom(Buffer.concat(parts).toString('utf8'));
}

/** A line of a text file and its 1-based number; `tooLong` lines carry no text. */
export interface Line {
  number: number;
  text: string;
  tooLong: boolean;
}

/**
 * Streams a file line by line without ever buffering more than one line (capped at
 * `maxRecordBytes`: a longer line is reported as `tooLong` and skipped, not read into memory).
 */
export async function* readLines(file: InputFile, limits: InputLimits, onBytes: (n: number) => void): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = false;
  let number = 0;
  for await (const chunk of openStream(file, onBytes) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!overflow) {
        if (pendingBytes + (end - start) > limits.maxRecordBytes) {
          overflow = true;
          pending = [];
          pendingBytes = 0;
        } else if (end > start) {
          pending.push(chunk.subarray(start, end));
          pendingBytes += end - start;
        }
      }
      if (nl === -1) break;
      number++;
      yield emit(number);
      start = nl + 1;
    }
  }
  if (pendingBytes > 0 || overflow) {
    number++;
    yield emit(number);
  }

  function emit(n: number): Line {
    const line: Line = overflow
      ? { number: n, text: '', tooLong: true }
      : { number: n, text: Buffer.concat(pending).toString('utf8').replace(/\r$/, ''), tooLong: false };
    if (n === 1) line.text = stripBom(line.text);
    pending = [];
    pendingBytes = 0;
    overflow = false;
    return line;
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
