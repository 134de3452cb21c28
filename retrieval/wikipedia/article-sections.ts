/** One section of an article as plain text. */
export interface ArticleSection {
  /** Innermost heading; `''` for the lead. */
  heading: string;
  text: string;
}

/** Sections that hold lists of links and sources, not facts worth quoting. */
const BOILERPLATE = new Set([
  'references',
  'external links',
  'see also',
  'further reading',
  'notes',
  'bibliography',
  'sources',
  'citations',
  'footnotes',
  'notes and references',
  'references and notes',
  'gallery',
]);

const HEADING = /^(={2,6})\s*(.+?)\s*\1\s*$/;

/**
 * Cuts a plain-text article (TextExtracts' `explaintext` with `exsectionformat=wiki`, or
 * wikitext after `wikitextToPlain`) at its `== Heading ==` lines. The lead comes first with heading
 * `''`; empty sections and boilerplate (References, External links, See also…) are dropped, and a
 * subsection keeps only its own heading (its parent's text is a section of its own).
 *
 * @example
 * splitArticle('Gout is…\n\n== Signs and symptoms ==\nPain…\n\n== References ==\n')
 * // → [{ heading: '', text: 'Gout is…' }, { heading: 'Signs and symptoms', text: 'Pain…' }]
 */
export function splitArticle(text: string): ArticleSection[] {
  const sections: ArticleSection[] = [];
  let heading = '';
  let lines: string[] = [];
  // A subsection of a boilerplate section ("== Notes ==" → "=== Citations ===") is boilerplate too.
  let skipBelowLevel = 0;
  let skipping = false;
  const flush = (): void => {
    const body = lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    if (body && !skipping) sections.push({ heading, text: body });
    lines = [];
  };
  for (const line of text.split(/\r?\n/)) {
    const match = HEADING.exec(line);
    if (!match) {
      lines.push(line);
      continue;
    }
    flush();
    const level = match[1]!.length;
    heading = match[2]!.trim();
    if (skipping && level > skipBelowLevel) continue;
    skipping = BOILERPLATE.has(heading.toLowerCase());
    skipBelowLevel = level;
  }
  flush();
  return sections;
}

/**
 * The URL fragment MediaWiki gives a heading (`$wgFragmentMode = html5`): spaces become
 * underscores, the rest is percent-encoded where a URL needs it.
 *
 * @example
 * sectionAnchor('Signs and symptoms') // → 'Signs_and_symptoms'
 */
export function sectionAnchor(heading: string): string {
  return encodeURIComponent(heading.trim().replace(/\s+/g, '_')).replace(/%(2C|3A|28|29|2F)/gi, decodeURIComponent);
}
