import type { InputFormat } from '../format.js';
import { readWholeText } from '../input-file.js';
import { splitHeadings } from '../text-structure.js';
import { titleFromFile } from './markdown.js';

/**
 * Plain text files in any language (Chinese included): underlined or wikitext headings become
 * sections, blank lines separate paragraphs; the title is the first heading or the file name.
 */
export const text: InputFormat = {
  name: 'text',
  description: 'Plain text files in any language (headings become sections)',
  async *parse(file, ctx) {
    const structured = splitHeadings(await readWholeText(file, ctx.limits, ctx.onBytes));
    if (structured.sections.length === 0) {
      ctx.reject(undefined, 'file has no text');
      return;
    }
    yield {
      doc: { externalId: file.relativePath, title: structured.title ?? titleFromFile(file.path), sections: structured.sections },
      line: 1,
    };
  },
};
