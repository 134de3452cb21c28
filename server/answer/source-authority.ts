import type { Evidence } from '../../retrieval/pipeline/index.js';

/** How far a source can be trusted as the main evidence of an answer, highest first. */
export type SourceAuthority = 'reference' | 'encyclopedia' | 'dialogue';

const RANK: Readonly<Record<SourceAuthority, number>> = { reference: 2, encyclopedia: 1, dialogue: 0 };

// Source names operators give dialogue corpora (ChatDoctor, MedicalGPT's SFT pairs, forums).
const DIALOGUE_SOURCE = /chatdoctor|dialog|medicalgpt|sft|forum|chat/i;
const ENCYCLOPEDIA_SOURCE = /wiki|encyclop/i;
// A reply addressed to a patient ("Hi, thanks for your query…", "您好，…"): a dialogue, whatever the source's name.
const DIALOGUE_OPENING = /^\s*(?:hi|hello|hey|dear|thanks? (?:you )?for|welcome to|greetings)\b|^\s*(?:您好|你好)/i;

/**
 * The authority level of a passage: the level its source was ingested with when the evidence
 * carries one (`authority`), else judged from the source: live or ingested Wikipedia is an
 * encyclopedia, ChatDoctor-style question–answer sources and replies addressed to a patient are
 * dialogues, and the rest (MedQuAD's NIH pages, PubMed abstracts, operator references) are references.
 *
 * @example
 * authorityOf({ source: 'wikipedia-live', … }) // → 'encyclopedia'
 */
export function authorityOf(evidence: Pick<Evidence, 'source' | 'text'> & { authority?: unknown }): SourceAuthority {
  const given = evidence.authority;
  if (given === 'reference' || given === 'encyclopedia' || given === 'dialogue') return given;
  if (DIALOGUE_SOURCE.test(evidence.source) || DIALOGUE_OPENING.test(evidence.text)) return 'dialogue';
  if (ENCYCLOPEDIA_SOURCE.test(evidence.source)) return 'encyclopedia';
  return 'reference';
}

/** A number that orders authority levels: reference 2, encyclopedia 1, dialogue 0. */
export function authorityRank(authority: SourceAuthority): number {
  return RANK[authority];
}
