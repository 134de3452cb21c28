import type { Chunk } from '../../knowledge/index.js';
import type { Evidence } from '../../retrieval/pipeline/index.js';

/** The part of the knowledge store that finds a section's chunks (a `KnowledgeStore` is one). */
export interface SectionStore {
  getChunksByExternalId(externalId: string): Chunk[];
}

/** A retrieved passage as its section was written: its first chunk, and its MedQuAD question type when it has one. */
export interface SectionLead {
  evidence: Evidence;
  /** The section's `qtype` metadata (MedQuAD's question type: `symptoms`, `exams and tests`, …). */
  qtype?: string;
}

/**
 * Looks up the section of a local passage: a hit may be a later chunk of a long section ("Although
 * most people with gout …"), and an answer quotes the section's opening, where it states its
 * answer. Live passages and unknown sections come back as they are.
 *
 * @example
 * const lead = sectionLeads(store);
 * lead(hit).evidence.text // the section's first chunk
 */
export function sectionLeads(store: SectionStore): (evidence: Evidence) => SectionLead {
  return (evidence) => {
    if (evidence.chunkId === undefined) return { evidence };
    const chunks = store.getChunksByExternalId(evidence.externalId).filter((c) => c.source === evidence.source);
    const first = chunks[0];
    if (!first) return { evidence };
    const qtype = typeof first.metadata.qtype === 'string' ? first.metadata.qtype.toLowerCase() : undefined;
    const lead: Evidence =
      first.chunkId === evidence.chunkId
        ? evidence
        : { ...evidence, key: `chunk:${first.chunkId}`, chunkId: first.chunkId, text: first.text };
    return { evidence: lead, ...(qtype ? { qtype } : {}) };
  };
}
