import { readFile } from 'node:fs/promises';
import { XMLParser } from 'fast-xml-parser';

/** A labelled question-entailment pair: does the consumer question `chq` entail the FAQ `faq`? */
export interface RqePair {
  id: string;
  chq: string;
  faq: string;
  entails: boolean;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'pair',
});

/**
 * Reads an RQE file of the MEDIQA 2019 / AMIA 2016 releases (`<pair pid value><chq/><faq/></pair>`).
 *
 * @example
 * const pairs = await readRqePairs('../shared/data/consumer-qa/rqe-train-amia2016.xml'); // 8,588 pairs
 */
export async function readRqePairs(file: string): Promise<RqePair[]> {
  const tree = parser.parse(await readFile(file, 'utf8')) as Record<string, { pair?: Array<Record<string, unknown>> }>;
  const root = Object.values(tree).find((v) => v && typeof v === 'object' && 'pair' in v);
  return (root?.pair ?? []).map((p, i) => ({
    id: String(p['@pid'] ?? i + 1),
    chq: text(p.chq),
    faq: text(p.faq),
    entails: String(p['@value']).trim().toLowerCase() === 'true',
  }));
}

function text(v: unknown): string {
  if (typeof v === 'string') return v.replace(/\s+/g, ' ').trim();
  if (v && typeof v === 'object' && '#text' in v)
    return String((v as { '#text': unknown })['#text'])
      .replace(/\s+/g, ' ')
      .trim();
  return '';
}
