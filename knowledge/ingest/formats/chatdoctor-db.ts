import { basename } from 'node:path';
import { parse } from 'csv-parse';
import type { ParsedSection } from '../../document.js';
import type { InputFormat } from '../format.js';
import { openStream } from '../input-file.js';
import { parsePythonStringList } from './python-list.js';
import { KnowledgeError } from '../../errors.js';

const HEADINGS: Record<string, string> = {
  symptom: 'Symptoms',
  reason: 'Description',
  'medical tests': 'Medical tests',
  testsandprocedures: 'Tests and procedures',
  medications: 'Medications',
  commonmedications: 'Common medications',
};

/**
 * ChatDoctor's offline disease database CSVs (`disease` plus columns such as `Symptom`,
 * `Medical Tests`, `Medications`, whose cells are Python-literal lists). One document per row
 * (`<file>:<idx or disease>`), one section per column.
 */
export const chatdoctorDb: InputFormat = {
  name: 'chatdoctor-db',
  description: 'ChatDoctor disease database CSV (list cells are Python-literal lists)',
  license: 'Apache-2.0',
  // A table compiled for a chatbot, not a curated reference.
  authority: 'encyclopedia',
  attribution: 'ChatDoctor disease database, Yunxiang Li et al., "ChatDoctor", 2023',
  async *parse(file, ctx) {
    const stem = basename(file.path).replace(/\.csv(\.gz)?$/i, '');
    const rows = openStream(file, ctx.onBytes).pipe(
      parse({
        columns: true,
        bom: true,
        skip_empty_lines: true,
        info: true,
        relax_column_count: true,
        max_record_size: ctx.limits.maxRecordBytes,
      }),
    );
    const used = new Map<string, number>();
    let checked = false;
    try {
      for await (const { record, info } of rows as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        if (!checked) {
          if (!('disease' in record)) throw new KnowledgeError('INVALID_INPUT', 'expected a "disease" column');
          checked = true;
        }
        const line = info.lines;
        const disease = (record.disease ?? '').trim();
        if (!disease) {
          ctx.reject(line, 'row has no disease name');
          continue;
        }
        const sections: ParsedSection[] = [];
        const metadata: Record<string, unknown> = {};
        for (const [column, cell] of Object.entries(record)) {
          if (column === 'disease' || column === 'idx' || !cell?.trim()) continue;
          const items = parsePythonStringList(cell);
          const heading = HEADINGS[column.toLowerCase()] ?? column;
          if (items) {
            metadata[column] = items;
            if (items.length) sections.push({ heading, text: `${heading} of ${disease}: ${items.join('; ')}.` });
          } else {
            sections.push({ heading, text: cell.trim() });
          }
        }
        if (sections.length === 0) {
          ctx.reject(line, `row for ${JSON.stringify(disease)} has no content`);
          continue;
        }
        const base = record.idx?.trim() || disease.toLowerCase();
        const n = used.get(base) ?? 0;
        used.set(base, n + 1);
        yield {
          doc: { externalId: `${stem}:${base}${n ? `#${n + 1}` : ''}`, title: disease, focus: disease, language: 'en', sections, metadata },
          line,
        };
      }
    } catch (error) {
      if (error instanceof KnowledgeError) throw error;
      throw new KnowledgeError('INVALID_INPUT', `CSV error: ${(error as Error).message}`);
    }
  },
};
