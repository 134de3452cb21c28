import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { redact } from '../logging/redaction.js';

/** File name of the feedback log inside the data directory. */
export const FEEDBACK_FILE = 'feedback.jsonl';

/** A reader's verdict on one answer, as the chat page sends it. */
export interface Feedback {
  /** The answer's id (`ans-…`, from the `citations` event or the answer). */
  answerId: string;
  rating: 'up' | 'down';
  /** What the reader wrote, if anything (stored redacted: readers may name themselves or a patient). */
  note?: string;
  /** The answer's mode. */
  mode?: 'extractive' | 'generative';
  /** The cited passages' citation ids. */
  sources?: string[];
  /** The question: stored only when question logging is on, and then redacted. */
  question?: string;
  /** The answer text: as `question`. */
  answer?: string;
}

/** One stored line. */
export interface FeedbackRecord extends Feedback {
  time: string;
  /** `key:<id>` or `anonymous`, as in the audit log. */
  who: string;
}

/** Where and what the feedback log writes. */
export interface FeedbackLogOptions {
  /** JSON-lines file, appended to; created 0600, its folder 0700. */
  file: string;
  /** Keep question and answer text (redacted). Default false: dropped. */
  includeQuestions?: boolean;
}

/**
 * Readers' thumbs up/down on answers, one JSON line each, for whoever improves the sources.
 * Question and answer text are dropped unless question logging is on (then redacted, like the
 * audit log); the reader's note is always redacted. Lines are written synchronously.
 *
 * @example
 * const feedback = FeedbackLog.open({ file: join(dataDir, FEEDBACK_FILE) });
 * feedback.write({ answerId: 'ans-1', rating: 'down', note: 'out of date' }, 'anonymous');
 */
export class FeedbackLog {
  readonly file: string;
  private readonly includeQuestions: boolean;
  private fd: number | null;

  private constructor(options: FeedbackLogOptions) {
    this.file = resolve(options.file);
    this.includeQuestions = options.includeQuestions ?? false;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    this.fd = openSync(this.file, 'a', 0o600);
  }

  /** Opens (creating if needed) the feedback file. */
  static open(options: FeedbackLogOptions): FeedbackLog {
    return new FeedbackLog(options);
  }

  /** Appends one verdict and returns what was stored. */
  write(feedback: Feedback, who: string): FeedbackRecord {
    if (this.fd === null) throw new Error('The feedback log is closed.');
    const { question, answer, note, ...rest } = feedback;
    const record: FeedbackRecord = { time: new Date().toISOString(), who, ...rest };
    if (note?.trim()) record.note = redact(note);
    if (this.includeQuestions) {
      if (question !== undefined) record.question = redact(question);
      if (answer !== undefined) record.answer = redact(answer);
    }
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    return record;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
