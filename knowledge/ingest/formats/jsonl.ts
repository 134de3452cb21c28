import type { ParsedDocument, ParsedSection } from '../../document.js';
import type { InputFormat } from '../format.js';
import { splitHeadings } from '../text-structure.js';
import { isObject, jsonRecords, stringField } from './json-records.js';

/**
 * Generic JSON Lines (or a JSON array): `id`, `title`, `text`, optional `url`, `language`, `focus`,
 * `metadata`, and optionally `sections: [{externalId?, heading?, question?, text, metadata?}]` (the
 * form `galen export` writes). `id` falls back to `url`, then `title`. Headings inside `text`
 * (Markdown `#` or wikitext `== H ==`) become sections.
 */
export const jsonl: InputFormat = {
  name: 'jsonl',
  description: 'Generic JSONL: id, title, text, optional url and metadata (sections too)',
  async *parse(file, ctx) {
    for await (const { value, line } of jsonRecords(file, ctx)) {
      const id = stringField(value, 'id') || stringField(value, 'url') || stringField(value, 'title');
      if (!id) {
        ctx.reject(line, 'record has no "id" (nor "url" or "title" to use instead)');
        continue;
      }
      let title = stringField(value, 'title');
      let sections: ParsedSection[];
      if (Array.isArray(value.sections)) {
        sections = (value.sections as unknown[]).filter(isObject).map(toSection);
      } else {
        const structured = splitHeadings(stringField(value, 'text'));
        title ||= structured.title ?? '';
        sections = structured.sections;
      }
      if (!sections.some((s) => s.text.trim() || s.question)) {
        ctx.reject(line, `record ${JSON.stringify(id)} has no text`);
        continue;
      }
      const doc: ParsedDocument = { externalId: id, title: title || id, sections };
      const url = stringField(value, 'url');
      if (url) doc.url = url;
      const language = stringField(value, 'language');
      if (language) doc.language = language;
      const focus = stringField(value, 'focus');
      if (focus) doc.focus = focus;
      const metadata: Record<string, unknown> = isObject(value.metadata) ? { ...value.metadata } : {};
      for (const [k, v] of Object.entries(value)) {
        if (!KNOWN_KEYS.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) metadata[k] = v;
      }
      doc.metadata = metadata;
      yield { doc, line };
    }
  },
};

const KNOWN_KEYS = new Set(['id', 'title', 'text', 'url', 'language', 'focus', 'metadata', 'sections']);

function toSection(s: Record<string, unknown>): ParsedSection {
  const section: ParsedSection = { text: stringField(s, 'text') };
  for (const key of ['externalId', 'heading', 'question'] as const) {
    const v = stringField(s, key);
    if (v) section[key] = v;
  }
  if (isObject(s.metadata)) section.metadata = s.metadata;
  return section;
}
