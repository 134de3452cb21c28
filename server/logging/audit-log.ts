import type { RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pino } from 'pino';
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

/** Where and what the audit log writes. */
export interface AuditLogOptions {
  /** JSON-lines file, appended to (its folder is created); null turns the audit log off. */
  file: string | null;
  /** Write question text and patient details (redacted). Default false: never. */
  includeQuestions?: boolean;
}

/**
 * The audit log: one JSON line per `/v1` and `/cds-services` request — who (key id, EHR issuer or
 * anonymous), when, route, status, latency, triage level and sources used; for CDS Hooks the
 * service, hook, outcome and card count (never the patient, the context or the FHIR token). Question text and patient details stay out unless
 * `includeQuestions` is set; then names, phone numbers, e-mails, dates (of birth) and record
 * numbers are redacted first. Lines are written synchronously, so a crash loses none.
 *
 * @example
 * const audit = AuditLog.open({ file: './data/audit.log' });
 * app.use(audit.middleware);
 */
export class AuditLog {
  private readonly out: ReturnType<typeof pino.destination> | null;
  private readonly includeQuestions: boolean;
  readonly file: string | null;

  private constructor(options: AuditLogOptions) {
    this.file = options.file === null ? null : resolve(options.file);
    this.includeQuestions = options.includeQuestions ?? false;
    if (this.file === null) {
      this.out = null;
      return;
    }
    mkdirSync(dirname(this.file), { recursive: true });
    this.out = pino.destination({ dest: this.file, sync: true, append: true });
  }

  /** Opens (creating if needed) the audit log file. */
  static open(options: AuditLogOptions): AuditLog {
    return new AuditLog(options);
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
    this.out?.write(`${JSON.stringify(line)}\n`);
  }

  /** Middleware that audits each `/v1` and `/cds-services` request when its response finishes (or the client leaves). */
  readonly middleware: RequestHandler = (req, res, next) => {
    if (this.out === null || !AUDITED.test(req.path)) {
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
    this.out?.flushSync();
    this.out?.end();
  }
}
