/** A citation marker: `[3]`, `[1, 2]`, `[1][2]` (each bracket separately), full-width `【3】` too. */
const MARKER = /[[【]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】]/g;
// An unfinished marker at the end of streamed text (with the spaces before it): held back until it
// closes or proves not to be one.
const OPEN_MARKER = /[ \t]*[[【][\d\s,，、]{0,16}$/;

/** Text with its citation markers checked. */
export interface CheckedText {
  /** The text with markers pointing at no given passage removed (and markers normalised to `[n]`). */
  text: string;
  /** Valid passage numbers, in order of first citation. */
  cited: number[];
  /** Marker numbers that pointed at no passage and were removed. */
  removed: number[];
}

/**
 * Checks every `[n]` in an answer against the passages that were given (`valid`): markers naming
 * passages that do not exist are removed, lists are split into separate `[n]` markers, and the
 * valid numbers are collected in order of first citation.
 *
 * @example
 * checkCitations('Gout is arthritis [1][7]. It hurts [1, 2].', new Set([1, 2]))
 * // → { text: 'Gout is arthritis [1]. It hurts [1][2].', cited: [1, 2], removed: [7] }
 */
export function checkCitations(text: string, valid: ReadonlySet<number>): CheckedText {
  const filter = new CitationFilter(valid);
  const out = filter.push(text) + filter.flush();
  return { text: out, cited: filter.cited, removed: filter.removed };
}

/**
 * The streaming form of {@link checkCitations}: feed it generated text piece by piece; it returns
 * what can be shown now, holding back only an unfinished `[…` until it is complete, so a client
 * never sees a marker that is later removed.
 *
 * @example
 * const f = new CitationFilter(new Set([1]));
 * f.push('Rest helps [') + f.push('1] and [9') + f.push('].') + f.flush(); // → 'Rest helps [1] and.'
 */
export class CitationFilter {
  private pending = '';
  private readonly citedSet = new Set<number>();
  private readonly removedSet = new Set<number>();

  constructor(private readonly valid: ReadonlySet<number>) {}

  /** Valid passage numbers cited so far, in order of first citation. */
  get cited(): number[] {
    return [...this.citedSet];
  }

  /** Invalid marker numbers removed so far. */
  get removed(): number[] {
    return [...this.removedSet];
  }

  /** Adds generated text; returns the part that is safe to show. */
  push(piece: string): string {
    const text = this.pending + piece;
    const open = OPEN_MARKER.exec(text);
    const cut = open ? open.index : text.length;
    this.pending = text.slice(cut);
    return this.rewrite(text.slice(0, cut));
  }

  /** Releases what was held back at the end of the text. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return this.rewrite(rest);
  }

  private rewrite(text: string): string {
    const replaced = text.replace(MARKER, (_marker, list: string) => {
      const kept: number[] = [];
      for (const part of list.split(/[,，、]/)) {
        const n = Number(part.trim());
        if (this.valid.has(n)) {
          kept.push(n);
          this.citedSet.add(n);
        } else {
          this.removedSet.add(n);
        }
      }
      return kept.map((n) => `[${n}]`).join('');
    });
    // A removed marker leaves " ." or a double space behind.
    return replaced.replace(/[ \t]+(?=[.,;:!?。，；])/g, '').replace(/[ \t]{2,}/g, ' ');
  }
}
