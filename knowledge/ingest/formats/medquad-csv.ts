import { parse } from 'csv-parse';
import type { ParsedDocument, ParsedSection } from '../../document.js';
import type { InputFormat } from '../format.js';
import { openStream } from '../input-file.js';
import { cleanAnswer, MEDQUAD_ATTRIBUTION, MEDQUAD_LICENSE } from './medquad-xml.js';
import { KnowledgeError } from '../../errors.js';

/** Judged-answer ids abbreviate some collection names that the XML spells out. */
const COLLECTION_ALIASES: Record<string, string> = { MPlusHerbsSuppls: 'MPlusHerbsSupplements' };

const ANSWER_ID = /^([A-Za-z]+)_(\d+(?:_\d+)*)_Sec(\d+)(?:\.txt)?$/;

/**
 * MedQuAD's judged answers (`AnswerID,Answer`, the answer being `Question: … URL: … Answer: …`).
 * Rows are grouped into one document per MedQuAD document; in a run that also reads the XML they
 * fill the answer-less pairs (A.D.A.M., MedlinePlus drugs and herbs), otherwise they stand alone.
 * A section's citation id is the row's `AnswerID` without `.txt`.
 */
export const medquadCsv: InputFormat = {
  name: 'medquad-csv',
  description: "MedQuAD judged-answers CSV (fills the XML's answer-less pairs)",
  license: MEDQUAD_LICENSE,
  attribution: MEDQUAD_ATTRIBUTION,
  authority: 'reference',
  supplements: true,
  async *parse(file, ctx) {
    const docs = new Map<string, { doc: ParsedDocument; line: number; seen: Set<string> }>();
    const rows = openStream(file, ctx.onBytes).pipe(
      parse({
        columns: true,
        bom: true,
        relax_column_count: true,
        skip_empty_lines: true,
        info: true,
        max_record_size: ctx.limits.maxRecordBytes,
      }),
    );
    let header = true;
    try {
      for await (const { record, info } of rows as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        if (header) {
          if (!('AnswerID' in record) || !('Answer' in record)) {
            throw new KnowledgeError('INVALID_INPUT', 'expected the columns AnswerID,Answer');
          }
          header = false;
        }
        const line = info.lines;
        const rawId = (record.AnswerID ?? '').trim();
        const m = ANSWER_ID.exec(rawId);
        if (!m) {
          ctx.reject(line, `AnswerID ${JSON.stringify(rawId)} is not <collection>_<document>_Sec<n>`);
          continue;
        }
        const [, collection, docId, pid] = m as unknown as [string, string, string, string];
        const sectionId = `${collection}_${docId}_Sec${pid}`;
        const parsed = parseAnswer(record.Answer ?? '');
        const key = `${COLLECTION_ALIASES[collection] ?? collection}_${docId}`;
        let entry = docs.get(key);
        if (!entry) {
          entry = {
            doc: {
              externalId: key,
              title: parsed.focus || parsed.question || key,
              focus: [parsed.focus, ...parsed.synonyms].filter(Boolean).join('; '),
              language: 'en',
              sections: [],
              metadata: {
                collection,
                documentId: docId,
                focus: parsed.focus,
                ...(parsed.synonyms.length ? { synonyms: parsed.synonyms } : {}),
              },
              ...(parsed.url ? { url: parsed.url } : {}),
            },
            line,
            seen: new Set(),
          };
          docs.set(key, entry);
        }
        // The same answer is judged for several test questions: one copy is enough.
        if (entry.seen.has(sectionId)) continue;
        entry.seen.add(sectionId);
        const section: ParsedSection = {
          externalId: sectionId,
          question: parsed.question,
          text: parsed.answer,
          metadata: { pid, question: parsed.question, judgedAnswerId: rawId },
        };
        entry.doc.sections.push(section);
      }
    } catch (error) {
      if (error instanceof KnowledgeError) throw error;
      throw new KnowledgeError('INVALID_INPUT', `CSV error: ${(error as Error).message}`);
    }
    for (const { doc, line } of docs.values()) {
      doc.sections.sort((a, b) => Number(a.metadata?.pid) - Number(b.metadata?.pid));
      yield { doc, line };
    }
  },
};

interface JudgedAnswer {
  question: string;
  focus: string;
  synonyms: string[];
  url: string;
  answer: string;
}

// MedQuAD questions are generated from templates ("What causes X ?"); stripping the template gives X.
const QUESTION_TEMPLATE =
  /^(?:what (?:is|are) \(are\)|what causes|what are the (?:signs and )?symptoms of|what are the (?:treatments|complications) for|what are the genetic changes related to|how (?:to diagnose|to prevent|many people are affected by)|is|what is the outlook for|what research \(or clinical trials\) is being done for|what (?:to do for|should i know about)|who (?:is at risk for|should get)|how can i learn more about|do you have information about)\s+(.+?)(?:\s+inherited)?\s*\?$/i;

function parseAnswer(raw: string): JudgedAnswer {
  const q = /Question:\s*([\s\S]*?)\s*(?:\nURL:|$)/.exec(raw);
  const u = /URL:\s*(\S+)/.exec(raw);
  const a = /Answer:\s*([\s\S]*)$/.exec(raw);
  let question = (q?.[1] ?? '').trim();
  let synonyms: string[] = [];
  const also = /\s*\(Also called:\s*([^)]*)\)\s*$/.exec(question);
  if (also) {
    synonyms = also[1]!
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    question = question.slice(0, also.index).trim();
  }
  const focus = QUESTION_TEMPLATE.exec(question)?.[1]?.trim() ?? '';
  return { question, focus, synonyms, url: u?.[1] ?? '', answer: cleanAnswer(a?.[1] ?? '') };
}
