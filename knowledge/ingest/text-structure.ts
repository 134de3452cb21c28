import type { ParsedSection } from '../document.js';

const MARKDOWN_HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const WIKI_HEADING = /^(={2,6})\s*(.+?)\s*\1\s*$/;
const SETEXT_UNDERLINE = /^(=+|-+)\s*$/;

/** Text split at its headings, with the first top-level heading as a title when there is one. */
export interface StructuredText {
  title?: string;
  sections: ParsedSection[];
}

/**
 * Splits text into sections at Markdown (`# H`, setext underlines) and wikitext (`== H ==`)
 * headings. Nested headings are joined into a path (`Treatment › Surgery`) so a chunk says where it
 * came from. Text before the first heading is an untitled section.
 *
 * @example
 * splitHeadings('# Asthma\nA disease.\n## Treatment\nInhalers.')
 * // → { title: 'Asthma', sections: [{ text: 'A disease.' }, { heading: 'Treatment', text: 'Inhalers.' }] }
 */
export function splitHeadings(text: string): StructuredText {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const result: StructuredText = { sections: [] };
  const path: string[] = [];
  let body: string[] = [];
  let inFence = false;

  const flush = () => {
    const joined = body
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    const heading = path.filter(Boolean).join(' › ');
    if (joined) result.sections.push(heading ? { heading, text: joined } : { text: joined });
    body = [];
  };
  const open = (level: number, heading: string) => {
    flush();
    if (level === 1 && result.title === undefined && path.length === 0) {
      result.title = heading;
      return;
    }
    // Level 1 is the document title, so sections nest from level 2.
    const depth = Math.max(0, level - 2);
    path.length = depth;
    path[depth] = heading;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) {
      body.push(line);
      continue;
    }
    const md = MARKDOWN_HEADING.exec(line);
    if (md) {
      open(md[1]!.length, md[2]!);
      continue;
    }
    const wiki = WIKI_HEADING.exec(line);
    if (wiki) {
      open(wiki[1]!.length, wiki[2]!);
      continue;
    }
    const next = lines[i + 1];
    if (next !== undefined && line.trim() && SETEXT_UNDERLINE.exec(next) && !/^\s*[-*]\s/.test(line) && line.length < 120) {
      open(next.startsWith('=') ? 1 : 2, line.trim());
      i++;
      continue;
    }
    body.push(line);
  }
  flush();
  return result;
}
