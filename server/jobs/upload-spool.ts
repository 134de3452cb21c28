import busboy from 'busboy';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JobError } from './errors.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../knowledge/index.js';

/** Files of an upload, on disk, and the form fields that came with them. */
export interface SpooledUpload {
  dir: string;
  files: Array<{ name: string; bytes: number }>;
  /** Multipart text fields (e.g. `source`, `format`); empty for a raw body. */
  fields: Record<string, string>;
  bytes: number;
}

/** Where an upload goes and how big it may be. */
export interface SpoolOptions {
  /** Folder to write into (created; removed again if the upload fails). */
  dir: string;
  /** Largest upload, all files together, bytes. */
  maxBytes: number;
  /** File name for a raw body (not multipart); sanitised. Default `upload.jsonl`. */
  rawName?: string;
  /** A client that sends no byte for this long fails the upload with `UPLOAD_TIMEOUT` (408), ms. Default none. */
  idleTimeoutMs?: number;
}

const MAX_FILES = 50;

/**
 * Streams a request body to disk without holding it in memory: `multipart/form-data` (any
 * number of file parts, plus text fields) or a raw body (JSON Lines, Markdown, text, gzip…) as one
 * file. Past `maxBytes` nothing more is written, the rest of the body is read and dropped (so the
 * client gets its answer rather than a reset) and the upload fails with `UPLOAD_TOO_LARGE`; a
 * declared `Content-Length` over the limit fails before anything is read. A body that ends early
 * (truncated or aborted), a malformed one and a client silent for `idleTimeoutMs` fail it as well
 * (`INVALID_UPLOAD`, `UPLOAD_TIMEOUT`); every failure waits for the file writes to stop, then removes `dir`.
 *
 * @example
 * const upload = await spoolUpload(req, { dir: '/data/uploads/.incoming/42', maxBytes: 512 << 20 });
 * upload.files; // [{ name: 'notes.jsonl', bytes: 10423 }]
 */
export async function spoolUpload(req: IncomingMessage, options: SpoolOptions): Promise<SpooledUpload> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) throw tooLarge(options.maxBytes);
  // Uploads are the operator's documents and may hold patient notes: owner-only, like the store.
  await mkdir(options.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const idle = watchIdle(req, options.idleTimeoutMs);
  try {
    const upload = isMultipart(req) ? await spoolMultipart(req, options, idle.failed) : await spoolRaw(req, options, idle.failed);
    if (upload.files.length === 0 || upload.bytes === 0)
      throw new JobError('INVALID_UPLOAD', 'The upload holds no data: send a non-empty file.');
    return upload;
  } catch (error) {
    await rm(options.dir, { recursive: true, force: true });
    throw error;
  } finally {
    idle.stop();
  }
}

/**
 * Destroys `req` with `UPLOAD_TIMEOUT` once no byte has come for `ms`; `failed` rejects then, and
 * when the body ends early (client gone): whichever spooler is reading races it.
 */
function watchIdle(req: IncomingMessage, ms: number | undefined): { failed: Promise<never>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let fail: (error: JobError) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);
  const arm = () => {
    if (!ms) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const error = new JobError('UPLOAD_TIMEOUT', `No upload data for ${Math.round(ms / 1000)} s (security.uploadIdleTimeoutSeconds).`);
      fail(error);
      req.unpipe();
      req.pause();
    }, ms);
    timer.unref();
  };
  const onClose = () => {
    if (!req.complete) fail(new JobError('INVALID_UPLOAD', 'The upload ended before its body was complete.'));
  };
  req.on('data', arm);
  req.once('close', onClose);
  arm();
  return {
    failed,
    stop: () => {
      clearTimeout(timer);
      req.off('data', arm);
      req.off('close', onClose);
    },
  };
}

/**
 * A safe file name from a client's: its last path segment, letters, digits, `.`, `_` and `-` only,
 * not hidden (ingest skips hidden files).
 *
 * @example
 * safeFileName('../../etc/pass wd.jsonl'); // 'pass_wd.jsonl'
 */
export function safeFileName(name: string): string {
  const last = name.split(/[\\/]/).pop() ?? '';
  return last
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[._-]+/, '')
    .slice(-120);
}

function isMultipart(req: IncomingMessage): boolean {
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');
}

function tooLarge(maxBytes: number): JobError {
  return new JobError('UPLOAD_TOO_LARGE', `The upload is larger than the limit of ${formatBytes(maxBytes)} (security.maxUploadMb).`);
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${Math.round((n / (1 << 20)) * 10) / 10} MiB` : `${n} bytes`;
}

/** Counts bytes against a shared budget and drops everything past it. */
class Budget {
  used = 0;
  exceeded = false;
  constructor(readonly max: number) {}
  meter(onBytes: (n: number) => void): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        this.used += chunk.length;
        if (this.used > this.max) this.exceeded = true;
        if (this.exceeded) return done();
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
  }
}

async function spoolRaw(req: IncomingMessage, options: SpoolOptions, failed: Promise<never>): Promise<SpooledUpload> {
  const name = safeFileName(options.rawName ?? '') || 'upload.jsonl';
  const budget = new Budget(options.maxBytes);
  let bytes = 0;
  const meter = budget.meter((n) => (bytes += n));
  const file = createWriteStream(join(options.dir, name), { mode: PRIVATE_FILE_MODE });
  const written = pipeline(req, meter, file);
  try {
    await Promise.race([written, failed]);
  } catch (error) {
    // Stop writing before the folder is removed; the request itself is left to the error answer.
    req.unpipe(meter);
    meter.destroy();
    file.destroy();
    await written.catch(() => undefined);
    throw error instanceof JobError ? error : new JobError('INVALID_UPLOAD', 'The upload ended before its body was complete.');
  }
  if (budget.exceeded) throw tooLarge(options.maxBytes);
  return { dir: options.dir, files: [{ name, bytes }], fields: {}, bytes };
}

async function spoolMultipart(req: IncomingMessage, options: SpoolOptions, failed: Promise<never>): Promise<SpooledUpload> {
  const budget = new Budget(options.maxBytes);
  const fields: Record<string, string> = {};
  const files: Array<{ name: string; bytes: number }> = [];
  const writes: Array<Promise<void>> = [];
  const parts: Readable[] = [];
  const used = new Set<string>();
  let problem: JobError | null = null;

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: { files: MAX_FILES, fields: 20, fieldSize: 64 * 1024, parts: MAX_FILES + 20 },
    });
  } catch (error) {
    throw new JobError('INVALID_UPLOAD', `Not a usable multipart body: ${(error as Error).message}`);
  }
  parser.on('field', (name, value) => {
    fields[name] = value;
  });
  parser.on('file', (_field, stream, info) => {
    if (problem) {
      stream.resume();
      return;
    }
    const base = safeFileName(info.filename ?? '') || `upload-${files.length + 1}`;
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${i}-${base}`;
    used.add(name);
    const entry = { name, bytes: 0 };
    files.push(entry);
    parts.push(stream);
    const write = pipeline(
      stream,
      budget.meter((n) => (entry.bytes += n)),
      createWriteStream(join(options.dir, name), { mode: PRIVATE_FILE_MODE }),
    );
    // A part cut short by a malformed or truncated body rejects here; the body's error is the one reported.
    write.catch(() => undefined);
    writes.push(write);
  });
  const fail = (message: string) => () => {
    problem ??= new JobError('INVALID_UPLOAD', message);
  };
  parser.on('filesLimit', fail(`At most ${MAX_FILES} files per upload.`));
  parser.on('fieldsLimit', fail('Too many form fields.'));
  parser.on('partsLimit', fail('Too many form parts.'));

  const parsed = new Promise<void>((resolve, reject) => {
    parser.once('close', resolve);
    parser.once('error', (error: Error) => reject(new JobError('INVALID_UPLOAD', `Malformed multipart body: ${error.message}`)));
    req.once('error', () => reject(new JobError('INVALID_UPLOAD', 'The upload ended before its body was complete.')));
    req.pipe(parser);
  });
  try {
    await Promise.race([parsed, failed]);
    await Promise.race([Promise.all(writes), failed]);
  } catch (error) {
    req.unpipe(parser);
    for (const part of parts) part.destroy();
    await Promise.allSettled(writes);
    throw error instanceof JobError ? error : new JobError('INVALID_UPLOAD', 'The upload ended before its body was complete.');
  }
  if (budget.exceeded) throw tooLarge(options.maxBytes);
  if (problem) throw problem;
  return { dir: options.dir, files, fields, bytes: files.reduce((n, f) => n + f.bytes, 0) };
}
