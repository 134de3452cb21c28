import { randomUUID } from 'node:crypto';

/** A CDS Hooks card, as Galen writes them. */
export interface CdsCard {
  uuid: string;
  /** Under 140 characters (the spec's limit). */
  summary: string;
  /** Markdown: the evidence with numbered citations, the sources, the limits. */
  detail: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url?: string; topic?: { code: string; system: string; display: string } };
  links?: Array<{ label: string; url: string; type: 'absolute' }>;
}

/** The spec: summary "<140-character summary message". */
export const MAX_SUMMARY_CHARS = 139;

/** Galen's source label on every card. */
export const CARD_SOURCE_LABEL = 'Galen (retrieval over its medical corpus)';

/** One cited passage: its number in the card, title and link. */
export interface CardCitation {
  n: number;
  title: string;
  url: string | null;
}

/**
 * A card with the spec's limits applied: a fresh uuid, the summary cut to 139 characters, links
 * only to absolute http(s) URLs of the cited pages, and the detail ending in its numbered sources.
 *
 * @example
 * makeCard({ summary, lines: ['Ibuprofen … [1]'], citations, indicator: 'warning', limits });
 */
export function makeCard(input: {
  summary: string;
  lines: readonly string[];
  citations: readonly CardCitation[];
  indicator: CdsCard['indicator'];
  limits: string;
  sourceUrl?: string;
}): CdsCard {
  const summary = input.summary.length > MAX_SUMMARY_CHARS ? `${input.summary.slice(0, MAX_SUMMARY_CHARS - 1).trimEnd()}…` : input.summary;
  const sources = input.citations.map(
    (c) => `${c.n}. ${c.url && isAbsolute(c.url) ? `[${escapeMd(c.title)}](${c.url})` : escapeMd(c.title)}`,
  );
  const detail = [...input.lines, '', '**Sources**', '', ...sources, '', `_${input.limits}_`].join('\n');
  const links = input.citations
    .filter((c) => c.url && isAbsolute(c.url))
    .map((c) => ({ label: `[${c.n}] ${c.title}`.slice(0, 200), url: c.url!, type: 'absolute' as const }));
  return {
    uuid: randomUUID(),
    summary,
    detail,
    indicator: input.indicator,
    source: { label: CARD_SOURCE_LABEL, ...(input.sourceUrl ? { url: input.sourceUrl } : {}) },
    ...(links.length ? { links } : {}),
  };
}

function isAbsolute(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url);
}

/** Markdown-escapes text taken from the corpus (titles, sentences) so it cannot inject links or markup. */
export function escapeMd(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+!|<>])/g, '\\$1');
}
