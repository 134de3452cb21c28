import type { RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fstatSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { openPrivateAppend } from '../../knowledge/index.js';
import { routeLabel } from '../metrics/index.js';
import { describePrincipal } from '../security/index.js';
import { redact } from './redaction.js';

/**
 * What a route tells the audit log about its request, in `res.locals.audit`. The answer routes set
 * `{ triageLevel, sources, question, patient }`; `question` and `patient` are written only when the
 * operator turned on `security.audit.includeQuestions`, and then redacted.
 *
 * @example
 * res.locals.audit = { triageLevel: 'urgent', sources: ['medquad', 'wikipedia'], question: body.question };
 */
export interface AuditDetails {
  /** The triage level the question got (`emergency`, `urgent`, `routine`…). */
  triageLevel?: string;
  /** Sources whose passages the answer used (source names, or citation ids). */
  sources?: string[];
  /** The question as asked: logged only when configured, redacted. */
  question?: string;
  /** Patient details sent with the question (age, sex, history…): as `question`. */
  patient?: string;
  /** A CDS Hooks call: the service id (one Galen offers), its hook and how it ended. */
  service?: string;
  hook?: string;
  /** `cards`, `no-cards`, `record-unavailable` (the FHIR server failed), `refused` (a bad request), `feedback`. */
  outcome?: string;
  /** Cards returned (a call) or feedback items stored. */
  cards?: number;
}

declare global {
  namespace Express {
    interface Locals {
      /** Filled by routes for the audit log: see {@link AuditDetails}. */
      audit?: AuditDetails;
      /** This request's id, also sent as `X-Request-Id` and written to the audit log. */
      requestId?: string;
    }
  }
}

/** The surfaces whose requests are audited. */
const AUDITED = /^\/(v1|cds-services)(\/|$)/;

/** One audit line (JSON). */
export interface AuditRecord {
  time: string;
  requestId: string;
  /** `key:<id>`, `anonymous`, or `unauthenticated` (refused before authentication finished). */
  who: string;
  role: string | null;
  ip: string;
  method: string;
  route: string;
  path: string;
  status: number;
  latencyMs: number;
  triageLevel?: string;
  sources?: string[];
  question?: string;
  patient?: string;
  service?: string;
  hook?: string;
  outcome?: string;
  cards?: number;
}

/** Default size at which the audit log is rotated: 64 MiB. */
export const DEFAULT_AUDIT_MAX_BYTES = 64 * 2 ** 20;
/** Default number of rotated audit files kept. */
export const DEFAULT_AUDIT_KEEP_FILES = 5;

/** Where and what the audit log writes. */
export interface AuditLogOptions {
  /** JSON-lines file, appended to, created 0600 (its folder 0700); null turns the audit log off. */
  file: string | null;
  /** Write question text and patient details (redacted). Default false: never. */
  includeQuestions?: boolean;
  /**
   * Rotate before a line would take the file past this many bytes: `audit.log` becomes
   * `audit.log.1`, `.1` becomes `.2`… 0: never (rotation left to the operator, see {@link AuditLog.reopen}).
   * Default {@link DEFAULT_AUDIT_MAX_BYTES}.
   */
  maxBytes?: number;
  /** Rotated files kept (`audit.log.1` … `audit.log.<keepFiles>`); older ones are deleted. Default {@link DEFAULT_AUDIT_KEEP_FILES}. */
  keepFiles?: number;
  /** Told when rotating failed (the log then goes on in the current file). Default: nobody. */
  onWarning?: (message: string) => void;
}

/**
 * The audit log: one JSON line per `/v1` and `/cds-services` request — who (key id, EHR issuer or
 * anonymous), when, route, status, latency, triage level and sources used; for CDS Hooks the
 * service, hook, outcome and card count (never the patient, the context or the FHIR token). Question text and patient details stay out unless
 * `includeQuestions` is set; then names, phone numbers, e-mails, dates (of birth) and record
 * numbers are redacted first. Lines are written synchronously, so a crash loses none. The file is
 * owner-only, rotated by size with a fixed number of old files kept, and {@link reopen} (on
 * SIGHUP) lets an external logrotate move it away.
 *
 * @example
 * const audit = AuditLog.open({ file: './data/audit.log' });
 * app.use(audit.middleware);
 */
export class AuditLog {
  private fd: number | null;
  private size = 0;
  private readonly includeQuestions: boolean;
  private readonly maxBytes: number;
  private readonly keepFiles: number;
  private readonly onWarning: (message: string) => void;
  readonly file: string | null;

  private constructor(options: AuditLogOptions) {
    this.file = options.file === null ? null : resolve(options.file);
    this.includeQuestions = options.includeQuestions ?? false;
    this.maxBytes = options.maxBytes ?? DEFAULT_AUDIT_MAX_BYTES;
    this.keepFiles = options.keepFiles ?? DEFAULT_AUDIT_KEEP_FILES;
    this.onWarning = options.onWarning ?? (() => undefined);
    this.fd = this.file === null ? null : this.openFile(this.file);
  }

  /** Opens (creating if needed) the audit log file. */
  static open(options: AuditLogOptions): AuditLog {
    return new AuditLog(options);
  }

  /** The rotated files that may exist, newest first (`audit.log.1` …). */
  get rotatedFiles(): string[] {
    const file = this.file;
    if (file === null) return [];
    return Array.from({ length: this.keepFiles }, (_, i) => `${file}.${i + 1}`);
  }

  /**
   * Closes the file and opens `file` again, creating it when it was moved away: what logrotate's
   * `postrotate` (a SIGHUP to `galen serve`) asks for.
   */
  reopen(): void {
    if (this.fd === null || this.file === null) return;
    // The new file first: when it cannot be opened (this throws) the log goes on in the old one.
    const fd = openPrivateAppend(this.file);
    closeSync(this.fd);
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  /**
   * Writes one record, dropping question and patient text unless configured and redacting them
   * when it is.
   */
  write(record: AuditRecord): void {
    const { question, patient, ...rest } = record;
    const line: AuditRecord = { ...rest };
    if (this.includeQuestions) {
      if (question !== undefined) line.question = redact(question);
      if (patient !== undefined) line.patient = redact(patient);
    }
    this.append(`${JSON.stringify(line)}\n`);
  }

  private append(text: string): void {
    if (this.fd === null) return;
    const bytes = Buffer.from(text, 'utf8');
    if (this.maxBytes > 0 && this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
    writeSync(this.fd, bytes);
    this.size += bytes.length;
  }

  private openFile(file: string): number {
    const fd = openPrivateAppend(file);
    this.size = fstatSync(fd).size;
    return fd;
  }

  /** `audit.log` → `.1` → `.2` … dropping the oldest, then a new empty `audit.log`. */
  private rotate(): void {
    const file = this.file;
    if (file === null || this.fd === null) return;
    // Renamed while still open (POSIX allows it), so a failure at any step leaves a file to write to.
    try {
      // Files beyond keepFiles (left when it was lowered) go first, then each moves up one.
      for (let i = this.keepFiles + 1; existsSync(`${file}.${i}`); i++) rmSync(`${file}.${i}`, { force: true });
      for (let i = this.keepFiles - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      if (this.keepFiles > 0) renameSync(file, `${file}.1`);
      else rmSync(file, { force: true });
      const fd = openPrivateAppend(file);
      closeSync(this.fd);
      this.fd = fd;
      this.size = fstatSync(fd).size;
    } catch (error) {
      this.onWarning(`audit log rotation failed (${(error as NodeJS.ErrnoException).code ?? 'error'}); writing on in the current file`);
      // Not again at every line: the next attempt waits for another maxBytes.
      this.size = 0;
    }
  }

  /** Middleware that audits each `/v1` and `/cds-services` request when its response finishes (or the client leaves). */
  readonly middleware: RequestHandler = (req, res, next) => {
    if (this.fd === null || !AUDITED.test(req.path)) {
      next();
      return;
    }
    const started = performance.now();
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const path = req.path;
    res.once('close', () => {
      const principal = res.locals.principal;
      const details = res.locals.audit ?? {};
      this.write({
        time: new Date().toISOString(),
        requestId,
        who: describePrincipal(principal),
        role: principal?.role ?? null,
        ip: req.ip ?? '',
        method: req.method,
        route: routeLabel(req),
        path,
        status: res.writableFinished ? res.statusCode : 499,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        ...(details.triageLevel !== undefined ? { triageLevel: details.triageLevel } : {}),
        ...(details.sources !== undefined ? { sources: details.sources } : {}),
        ...(details.question !== undefined ? { question: details.question } : {}),
        ...(details.patient !== undefined ? { patient: details.patient } : {}),
        ...(details.service !== undefined ? { service: details.service } : {}),
        ...(details.hook !== undefined ? { hook: details.hook } : {}),
        ...(details.outcome !== undefined ? { outcome: details.outcome } : {}),
        ...(details.cards !== undefined ? { cards: details.cards } : {}),
      });
    });
    next();
  };

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
