import { basename } from 'node:path';
import type { InputFormat, ParseContext, ParsedRecord } from '../format.js';
import { readWholeText, type InputFile } from '../input-file.js';
import { splitHeadings } from '../text-structure.js';

/**
 * One document per file, split at its headings: the first top-level heading is the title (else
 * the file name), and the id is the file's path relative to the folder that was ingested.
 */
export function structuredFileFormat(
  name: 'markdown' | 'text',
  description: string,
  clean: (text: string) => string = (t) => t,
): InputFormat {
  return {
    name,
    description,
    async *parse(file: InputFile, ctx: ParseContext): AsyncGenerator<ParsedRecord> {
      const structured = splitHeadings(clean(await readWholeText(file, ctx.limits, ctx.onBytes)));
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
}

/** `heart-failure_notes.md` → `heart failure notes`. */
export function titleFromFile(path: string): string {
  return (
    basename(path)
      .replace(/(\.[A-Za-z0-9]+)+$/, '')
      .replace(/[_-]+/g, ' ')
      .trim() || basename(path)
  );
}
