import type { ParsedDocument } from '../document.js';

/** How documents are cut into chunks. */
export interface ChunkingOptions {
  /** Largest chunk, in characters. Default 1500 (about 350 English tokens). */
  maxChars?: number;
  /** Characters of trailing context repeated at the start of the next chunk of a section. Default 200. */
  overlapChars?: number;
}

/** One chunk cut from a section, before it is stored. */
export interface DraftChunk {
  sectionIndex: number;
  externalId: string;
  heading: string;
  question: string;
  text: string;
}

export const DEFAULT_CHUNKING: Required<ChunkingOptions> = { maxChars: 1500, overlapChars: 200 };

// Sentence ends in Latin and CJK punctuation; CJK full stops need no following space.
const SENTENCE_END = /(?<=[.!?])\s+(?=["'([]?[\p{Lu}\p{N}])|(?<=[。！？；])/u;

/**
 * Cuts each section of `doc` on paragraph, then sentence, then word boundaries into chunks of at
 * most `maxChars`, repeating up to `overlapChars` of the previous chunk's tail so that a fact that
 * straddles a cut is still found whole. Sections never share a chunk; empty sections give none.
 *
 * @example
 * chunkDocument({ externalId: 'x', title: 'Asthma', sections: [{ text: 'Asthma is…' }] })
 * // → [{ sectionIndex: 0, externalId: 'x', heading: '', question: '', text: 'Asthma is…' }]
 */
export function chunkDocument(doc: ParsedDocument, options: ChunkingOptions = {}): DraftChunk[] {
  const maxChars = Math.max(200, options.maxChars ?? DEFAULT_CHUNKING.maxChars);
  const overlap = Math.min(Math.max(0, options.overlapChars ?? DEFAULT_CHUNKING.overlapChars), Math.floor(maxChars / 3));
  const out: DraftChunk[] = [];
  doc.sections.forEach((section, sectionIndex) => {
    const text = section.text.trim();
    if (!text) return;
    for (const piece of splitText(text, maxChars, overlap)) {
      out.push({
        sectionIndex,
        externalId: section.externalId ?? doc.externalId,
        heading: section.heading ?? '',
        question: section.question ?? '',
        text: piece,
      });
    }
  });
  return out;
}

function splitText(text: string, maxChars: number, overlap: number): string[] {
  if (text.length <= maxChars) return [text];
  const units = toUnits(text, maxChars);
  const chunks: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const unit of units) {
    const add = unit.length + (current.length ? 1 : 0);
    if (length + add > maxChars && current.length) {
      chunks.push(current.join(' '));
      const tail = overlapTail(current, overlap, maxChars - unit.length - 1);
      current = tail;
      length = tail.reduce((n, u) => n + u.length + 1, 0) - (tail.length ? 1 : 0);
    }
    current.push(unit);
    length += unit.length + (current.length > 1 ? 1 : 0);
  }
  if (current.length) chunks.push(current.join(' '));
  return chunks;
}

/** The last whole units of `units` fitting in `overlap` (and in `room`), for the next chunk's start. */
function overlapTail(units: string[], overlap: number, room: number): string[] {
  const tail: string[] = [];
  let length = 0;
  for (let i = units.length - 1; i > 0; i--) {
    const u = units[i]!;
    if (length + u.length > Math.min(overlap, room)) break;
    tail.unshift(u);
    length += u.length + 1;
  }
  return tail;
}

/** Paragraphs, with over-long ones broken into sentences and over-long sentences into word runs. */
function toUnits(text: string, maxChars: number): string[] {
  const units: string[] = [];
  for (const paragraph of text.split(/\n\s*\n|\n/)) {
    const p = paragraph.trim();
    if (!p) continue;
    if (p.length <= maxChars) {
      units.push(...(p.length > maxChars / 2 ? sentences(p) : [p]));
      continue;
    }
    for (const s of sentences(p)) {
      if (s.length <= maxChars) units.push(s);
      else units.push(...hardSplit(s, maxChars));
    }
  }
  return units;
}

function sentences(p: string): string[] {
  return p
    .split(SENTENCE_END)
    .map((s) => s.trim())
    .filter(Boolean);
}

function hardSplit(s: string, maxChars: number): string[] {
  const out: string[] = [];
  const words = s.includes(' ') ? s.split(/\s+/) : Array.from(s);
  const joiner = s.includes(' ') ? ' ' : '';
  let current = '';
  for (const w of words) {
    if (current && current.length + joiner.length + w.length > maxChars) {
      out.push(current);
      current = '';
    }
    if (w.length > maxChars) {
      for (let i = 0; i < w.length; i += maxChars) out.push(w.slice(i, i + maxChars));
      continue;
    }
    current = current ? current + joiner + w : w;
  }
  if (current) out.push(current);
  return out;
}
