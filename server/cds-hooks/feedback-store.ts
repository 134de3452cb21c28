import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir } from '../../knowledge/index.js';
import type { CdsFeedback } from './cds-request.js';

/** One stored feedback item: what the EHR said about a card, without free-text comments' owners. */
export interface StoredFeedback {
  at: string;
  service: string;
  card: string;
  outcome: 'accepted' | 'overridden';
  outcomeTimestamp: string;
  overrideReason?: { code?: string; system?: string; display?: string; userComment?: string };
  acceptedSuggestions?: string[];
}

/**
 * CDS Hooks feedback, appended as JSON lines to a file only its owner can read (a clinician's
 * override comment may mention the patient).
 */
export class FeedbackStore {
  constructor(private readonly file: string) {
    ensurePrivateDir(dirname(file));
  }

  /** Appends the items; returns how many were stored. */
  record(service: string, body: CdsFeedback): StoredFeedback[] {
    const at = new Date().toISOString();
    const items: StoredFeedback[] = body.feedback.map((f) => ({
      at,
      service,
      card: f.card,
      outcome: f.outcome,
      outcomeTimestamp: f.outcomeTimestamp,
      ...(f.overrideReason
        ? {
            overrideReason: {
              ...(f.overrideReason.reason?.code ? { code: f.overrideReason.reason.code } : {}),
              ...(f.overrideReason.reason?.system ? { system: f.overrideReason.reason.system } : {}),
              ...(f.overrideReason.reason?.display ? { display: f.overrideReason.reason.display } : {}),
              ...(f.overrideReason.userComment ? { userComment: f.overrideReason.userComment } : {}),
            },
          }
        : {}),
      ...(f.acceptedSuggestions?.length ? { acceptedSuggestions: f.acceptedSuggestions.map((s) => s.id) } : {}),
    }));
    appendFileSync(this.file, items.map((i) => `${JSON.stringify(i)}\n`).join(''), { mode: 0o600 });
    return items;
  }
}
