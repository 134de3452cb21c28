import type { ParsedDocument } from '../../document.js';
import type { InputFormat } from '../format.js';
import { jsonRecords, stringField } from './json-records.js';

/**
 * PubMedQA abstracts JSONL (`pmid`, `year`, `meshes`, `sections: [{label, text}]`): one document
 * per PMID (`PMID_<pmid>`), its labelled sections kept, MeSH terms searchable as its focus.
 */
export const pubmedqa: InputFormat = {
  name: 'pubmedqa',
  description: 'PubMedQA abstracts JSONL (one document per PMID, sections kept)',
  license: 'MIT',
  authority: 'literature',
  attribution:
    'PubMedQA, Qiao Jin et al., "PubMedQA: A Dataset for Biomedical Research Question Answering", EMNLP 2019; abstracts from PubMed',
  async *parse(file, ctx) {
    for await (const { value, line } of jsonRecords(file, ctx)) {
      const pmid = stringField(value, 'pmid');
      if (!/^\d+$/.test(pmid)) {
        ctx.reject(line, 'record has no numeric "pmid"');
        continue;
      }
      const raw = Array.isArray(value.sections) ? (value.sections as unknown[]) : [];
      const sections = raw.flatMap((s) => {
        if (typeof s !== 'object' || s === null) return [];
        const rec = s as Record<string, unknown>;
        const text = stringField(rec, 'text');
        const label = stringField(rec, 'label');
        return text ? [{ heading: label ? label.charAt(0) + label.slice(1).toLowerCase() : '', text }] : [];
      });
      if (sections.length === 0) {
        ctx.reject(line, `PMID ${pmid} has no section text`);
        continue;
      }
      const meshes = Array.isArray(value.meshes) ? (value.meshes as unknown[]).filter((m): m is string => typeof m === 'string') : [];
      const year = stringField(value, 'year');
      const doc: ParsedDocument = {
        externalId: `PMID_${pmid}`,
        title: `PubMed ${pmid}${year ? ` (${year})` : ''}`,
        url: `https://pubmed.ncbi.nlm.nih.gov/${pmid}/`,
        language: 'en',
        focus: meshes.join('; '),
        sections,
        metadata: { pmid, ...(year ? { year } : {}), meshes },
      };
      yield { doc, line };
    }
  },
};
