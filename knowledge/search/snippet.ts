import { porterStem } from './fts-query.js';

const WORD = /[\p{L}\p{N}]+/gu;

/**
 * A window of `text` around the densest run of query words, with those words marked. Words match
 * by Porter stem, as FTS5 matched them. Done here rather than with FTS5's `snippet()`, which
 * re-seeks every term's posting list per hit (about 0.35 ms a hit on the shared corpus).
 *
 * @example
 * makeSnippet('Asthma causes wheezing.', new Set(['wheez']), ['**', '**']) // → 'Asthma causes **wheezing**.'
 */
export function makeSnippet(text: string, stems: ReadonlySet<string>, [open, close]: readonly [string, string], maxWords = 40): string {
  const prefixes = new Set([...stems].map((s) => s.slice(0, 3)));
  const words: Array<{ start: number; end: number; hit: boolean }> = [];
  for (const m of text.matchAll(WORD)) {
    const lower = m[0]
      .normalize('NFD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase();
    const hit = prefixes.has(lower.slice(0, 3)) && stems.has(porterStem(lower));
    words.push({ start: m.index, end: m.index + m[0].length, hit });
  }
  if (words.length === 0) return text.slice(0, 300);
  // The window of maxWords words holding the most hits.
  let best = 0;
  let bestHits = -1;
  let hits = 0;
  for (let i = 0; i < words.length; i++) {
    if (words[i]!.hit) hits++;
    if (i >= maxWords && words[i - maxWords]!.hit) hits--;
    const start = Math.max(0, i - maxWords + 1);
    if (hits > bestHits) {
      bestHits = hits;
      best = start;
    }
  }
  const first = words[best]!;
  const last = words[Math.min(words.length, best + maxWords) - 1]!;
  let out = '';
  let cursor = best === 0 ? 0 : first.start;
  for (let i = best; i < Math.min(words.length, best + maxWords); i++) {
    const w = words[i]!;
    if (!w.hit) continue;
    out += text.slice(cursor, w.start) + open + text.slice(w.start, w.end) + close;
    cursor = w.end;
  }
  const end = last === words[words.length - 1] ? text.length : last.end;
  out += text.slice(cursor, end);
  return `${best > 0 ? '…' : ''}${out}${end < text.length ? '…' : ''}`;
}
