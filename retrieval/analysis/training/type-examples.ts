import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { fromLiveqaType, fromMedquadQtype } from '../liveqa-types.js';
import type { QuestionType } from '../question-type.js';

/** A training question with the types it asks. */
export interface TypeExample {
  /** Stable id (the split is made on it). */
  id: string;
  /** `liveqa` (real consumer messages) or `medquad` (the corpus's own questions). */
  set: 'liveqa' | 'medquad';
  text: string;
  /** The annotated focus words, masked out of the features. */
  focus: string[];
  types: QuestionType[];
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', isArray: () => false });

function list<T>(x: T | T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

function text(x: unknown): string {
  if (typeof x === 'string' || typeof x === 'number') return String(x);
  if (x && typeof x === 'object' && '#text' in x) return String((x as { '#text': unknown })['#text']);
  return '';
}

/** The LiveQA medical training messages (`liveqa-medical-train-*.xml`): subject + message, the types of all its sub-questions. */
export function readLiveqa(consumerQaDir: string): TypeExample[] {
  const out: TypeExample[] = [];
  for (const name of readdirSync(consumerQaDir)
    .filter((n) => /^liveqa-medical-train-.*\.xml$/.test(n))
    .sort()) {
    const doc = parser.parse(readFileSync(join(consumerQaDir, name), 'utf8')) as {
      'NLM-QUESTIONS'?: { 'NLM-QUESTION'?: unknown };
    };
    for (const q of list(doc['NLM-QUESTIONS']?.['NLM-QUESTION']) as Array<Record<string, unknown>>) {
      const subs = list((q['SUB-QUESTIONS'] as { 'SUB-QUESTION'?: unknown } | undefined)?.['SUB-QUESTION']) as Array<{
        ANNOTATIONS?: { FOCUS?: unknown; TYPE?: unknown };
      }>;
      const types = new Set<QuestionType>();
      const focus = new Set<string>();
      for (const s of subs) {
        const t = fromLiveqaType(text(s.ANNOTATIONS?.TYPE));
        if (t) types.add(t);
        const f = text(s.ANNOTATIONS?.FOCUS).trim();
        if (f) focus.add(f);
      }
      const message = `${text(q.SUBJECT)}. ${text(q.MESSAGE)}`.trim();
      if (types.size && message.length > 2)
        out.push({
          id: `${name}:${String(q['@questionid'] ?? q['@qid'])}`,
          set: 'liveqa',
          text: message,
          focus: [...focus],
          types: [...types],
        });
    }
  }
  return out;
}

/** MedQuAD's question/qtype pairs (every `<Question qtype>` of every collection, with or without an answer). */
export function readMedquad(medquadDir: string): TypeExample[] {
  const out: TypeExample[] = [];
  for (const collection of readdirSync(medquadDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const file of readdirSync(join(medquadDir, collection))
      .filter((n) => n.endsWith('.xml'))
      .sort()) {
      const xml = readFileSync(join(medquadDir, collection, file), 'utf8');
      const focus = /<Focus>([^<]*)<\/Focus>/.exec(xml)?.[1]?.trim() ?? '';
      const id = /<Document id="([^"]*)"/.exec(xml)?.[1] ?? file;
      for (const m of xml.matchAll(/<Question qid="([^"]*)" qtype="([^"]*)">([^<]*)<\/Question>/g)) {
        const type = fromMedquadQtype(m[2]!);
        if (!type) continue;
        out.push({ id: `${collection}/${id}`, set: 'medquad', text: decode(m[3]!), focus: focus ? [decode(focus)] : [], types: [type] });
      }
    }
  }
  return out;
}

function decode(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'");
}
