import { KnowledgeError } from './errors.js';

/**
 * How far a source's text can be trusted as medical evidence, most authoritative first:
 *
 * - `reference`: health-agency and professional references written to inform (NIH, MedlinePlus,
 *   MedQuAD, clinical guidelines);
 * - `literature`: peer-reviewed research (PubMed abstracts): sound, but findings rather than advice;
 * - `encyclopedia`: general encyclopedias and compiled tables (Wikipedia, ChatDoctor's disease
 *   database), and text of unknown provenance;
 * - `dialogue`: doctor–patient dialogues, forums and Q&A sites (ChatDoctor, MedicalGPT's SFT pairs).
 */
export const AUTHORITY_LEVELS = ['reference', 'literature', 'encyclopedia', 'dialogue'] as const;

export type Authority = (typeof AUTHORITY_LEVELS)[number];

/** The level of a source whose formats have no opinion and whose operator named none. */
export const DEFAULT_AUTHORITY: Authority = 'encyclopedia';

export function isAuthority(value: unknown): value is Authority {
  return typeof value === 'string' && (AUTHORITY_LEVELS as readonly string[]).includes(value);
}

/** `value` as a level, or a clear error naming the levels. */
export function parseAuthority(value: string): Authority {
  if (isAuthority(value)) return value;
  throw new KnowledgeError('INVALID_INPUT', `Unknown authority ${JSON.stringify(value)}; use one of ${AUTHORITY_LEVELS.join(', ')}.`);
}

/**
 * The least authoritative of `levels` (a source mixing dialogues with a table is as strong as its
 * dialogues), or undefined when there are none.
 */
export function leastAuthority(levels: Iterable<Authority>): Authority | undefined {
  let least: Authority | undefined;
  for (const level of levels) if (least === undefined || AUTHORITY_LEVELS.indexOf(level) > AUTHORITY_LEVELS.indexOf(least)) least = level;
  return least;
}
