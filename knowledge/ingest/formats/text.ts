import { structuredFileFormat } from './structured-file.js';

/**
 * Plain text files in any language (Chinese included): underlined or wikitext headings become
 * sections, blank lines separate paragraphs.
 */
export const text = structuredFileFormat('text', 'Plain text files in any language (headings become sections)');
