/**
 * Wikitext → plain text with `== Heading ==` lines kept, for wikis without the TextExtracts
 * extension (the retriever then reads `prop=revisions`). Not a parser: it drops templates,
 * references, tables, files, comments and HTML tags and keeps link labels, which leaves readable
 * prose for the usual article; infobox data and template-generated text are lost.
 *
 * @example
 * wikitextToPlain("'''Gout''' is a form of [[arthritis|inflammatory arthritis]].{{cite}}<ref>x</ref>")
 * // → 'Gout is a form of inflammatory arthritis.'
 */
export function wikitextToPlain(wikitext: string): string {
  let text = wikitext.replace(/<!--[\s\S]*?(?:-->|$)/g, '');
  text = text.replace(/<ref\b[^>/]*\/>/gi, '').replace(/<ref\b[^>]*>[\s\S]*?<\/ref\s*>/gi, '');
  text = stripNested(text, '{{', '}}');
  text = stripNested(text, '{|', '|}');
  // Files, images and categories: links whose target has one of these namespaces.
  text = stripLinks(text);
  text = text
    .replace(/\[\[([^[\]|]*)\|([^[\]]*)\]\]/g, '$2')
    .replace(/\[\[([^[\]]*)\]\]/g, '$1')
    .replace(/\[(?:https?:)?\/\/[^\s\]]+\s+([^\]]*)\]/g, '$1')
    .replace(/\[(?:https?:)?\/\/[^\s\]]+\]/g, '')
    .replace(/'{2,}/g, '')
    .replace(/<\/?[a-z][^>]*>/gi, '')
    .replace(/__[A-Z]+__/g, '');
  text = decodeEntities(text);
  return text
    .split('\n')
    .map((line) => (/^=+.*=+\s*$/.test(line) ? line.trim() : line.replace(/^[*#:;]+\s*/, '').trim()))
    .join('\n')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Removes `open … close` spans, nested ones included; an unclosed one runs to the end. */
function stripNested(text: string, open: string, close: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < text.length; ) {
    if (text.startsWith(open, i)) {
      depth++;
      i += open.length;
    } else if (depth > 0 && text.startsWith(close, i)) {
      depth--;
      i += close.length;
    } else {
      if (depth === 0) out += text[i];
      i++;
    }
  }
  return out;
}

/** Removes `[[File:…]]`, `[[Image:…]]`, `[[Category:…]]` links, whose captions may nest links. */
function stripLinks(text: string): string {
  const start = /\[\[\s*(?:file|image|category|media)\s*:/gi;
  let out = '';
  let from = 0;
  for (let match = start.exec(text); match; match = start.exec(text)) {
    out += text.slice(from, match.index);
    let depth = 0;
    let i = match.index;
    for (; i < text.length; i++) {
      if (text.startsWith('[[', i)) {
        depth++;
        i++;
      } else if (text.startsWith(']]', i)) {
        depth--;
        i++;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    from = i;
    start.lastIndex = i;
  }
  return out + text.slice(from);
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}
