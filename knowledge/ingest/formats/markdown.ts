import { structuredFileFormat } from './structured-file.js';

/** Strips YAML front matter, HTML comments and link targets, which carry no medical text. */
function plainMarkdown(md: string): string {
  return md
    .replace(/^---\n[\s\S]*?\n---\n/, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
}

/** Markdown files: `#` headings become sections (the first top-level one is the title). */
export const markdown = structuredFileFormat('markdown', 'Markdown files (headings become sections)', plainMarkdown);
