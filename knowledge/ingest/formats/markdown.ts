import { basename } from 'node:path';
import type { InputFormat } from '../format.js';
import { readWholeText } from '../input-file.js';
import { splitHeadings } from '../text-structure.js';

/** Strips YAML front matter, HTML comments and link targets, which carry no medical text. */
function plainMarkdown(md: string): string {
  return md
    .replace(/^---\n[\s\S]*?\n---\n/, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
}

/**
 * Markdown files: the first `#` heading is the title (else the file name), deeper headings become
 * sections. The document id is the file's path relative to the folder that was ingested.
 */
export const markdown: InputFormat = {
  name: 'markdown',
  description: 'Markdown files (headings become sections)',
  async *parse(file, ctx) {
    const structured = splitHeadings(plainMarkdown(await readWholeText(file, ctx.limits, ctx.onBytes)));
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

/** `heart-failure_notes.md` → `heart failure notes`. */
export function titleFromFile(path: string): string {
  return basename(path).replace(/(\.[A-Za-z0-9]+)+$/, '').replace(/[_-]+/g, ' ').trim() || basename(path);
}
