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
  // Sections recur across questions: their first chunks are remembered (the caller makes a new
  // function when the store changes).
  const firsts = new Map<string, { chunkId: number; text: string; qtype?: string } | null>();
  const firstOf = (evidence: Evidence) => {
    const key = `${evidence.source}\u0000${evidence.externalId}`;
    let first = firsts.get(key);
    if (first === undefined) {
      const chunk = store.getChunksByExternalId(evidence.externalId).find((c) => c.source === evidence.source);
      const qtype = chunk && typeof chunk.metadata.qtype === 'string' ? chunk.metadata.qtype.toLowerCase() : undefined;
      first = chunk ? { chunkId: chunk.chunkId, text: chunk.text, ...(qtype ? { qtype } : {}) } : null;
      if (firsts.size >= CACHED_SECTIONS) firsts.delete(firsts.keys().next().value!);
      firsts.set(key, first);
    }
    return first;
  };
  return (evidence) => {
    if (evidence.chunkId === undefined) return { evidence };
    const first = firstOf(evidence);
    if (!first) return { evidence };
    const lead: Evidence =
      first.chunkId === evidence.chunkId
        ? evidence
        : { ...evidence, key: `chunk:${first.chunkId}`, chunkId: first.chunkId, text: first.text };
    return { evidence: lead, ...(first.qtype ? { qtype: first.qtype } : {}) };
  };
}

/** Sections whose first chunk {@link sectionLeads} remembers. */
const CACHED_SECTIONS = 20_000;
