/** Most list items folded into the sentence that introduces them ("Symptoms include: - a - b"). */
const MAX_LIST_ITEMS = 8;
// "Summary : …", "How the Test is Performed : …" — MedQuAD's inline section labels.
const LABEL = /^[A-Z][A-Za-z ,'()-]{0,60}\s:\s+/;
const BULLET = /^\s*(?:[-*•·]|\d{1,2}[.)])\s+/;
// Marks where a bulleted line ended once the lines are one stream: the item ends there, whatever follows.
const LINE_END = '\u2029';
// A sentence ends at . ! ? (and closing quotes/brackets) before a capital, digit or quote; or at Chinese full stops.
const SENTENCE_END = /(?<=[.!?]["')\]]?)\s+(?=["'([]?[A-Z0-9])|(?<=[。！？；])/u;
// A line that announces a list without a colon ("These can include", "such as").
const LIST_INTRO = /(?:[:：]|\b(?:include|includes|including|such as|are|following|may have|can have|symptoms?|signs?))$/i;
// Small words a heading may contain in lower case ("Testing for Gout", "Attacks Usually Start at Night").
const HEADING_SMALL = new Set([
  'of',
  'the',
  'and',
  'or',
  'at',
  'in',
  'for',
  'to',
  'with',
  'a',
  'an',
  'on',
  'by',
  'from',
  'vs',
  'after',
  'before',
  'during',
  '&',
]);
// Words sentences commonly start with: after a run of capitalised heading words, one of these starts the text.
const STARTERS = new Set(
  (
    'the this these that those it its they there their a an most many some several if when in to with for your you people patients ' +
    'doctors although because about each every one after before during once other all both anyone children adults women men as at ' +
    'having being currently researchers scientists no not only how what even often usually sometimes depending treatment symptoms signs ' +
    'we he she his her any more less while since unlike like such early'
  ).split(' '),
);

/** Options of {@link splitSentences}. */
export interface SplitOptions {
  /** The passage's title: a run of capitalised words before it ("Attacks Usually Start at Night Gout is …") is a heading. */
  title?: string;
}

/**
 * Splits passage text into sentences for extractive answers, in English and Chinese. A line that
 * introduces a bulleted list ("Symptoms may include:") keeps its items, joined into one sentence,
 * so the answer never quotes a dangling colon. Headings are kept out: inline MedQuAD labels
 * ("Summary : "), heading lines, and headings run into the next sentence without punctuation
 * ("Testing for Gout To confirm …"). Repeated sentences (MedQuAD repeats list items) are kept once,
 * and a closing bracket without its opening one is dropped ("… the condition.)").
 *
 * @example
 * splitSentences('Gout is arthritis. It causes pain.\nSymptoms include:\n- swelling\n- redness')
 * // → ['Gout is arthritis.', 'It causes pain.', 'Symptoms include: swelling; redness.']
 */
export function splitSentences(text: string, options: SplitOptions = {}): string[] {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^#{1,6}\s/.test(l));
  // One stream, with every bullet (at a line start or MedQuAD's inline " - ") as a " - " separator.
  const kept = lines.filter((l, i) => !(isHeadingLine(l) && i + 1 < lines.length && !BULLET.test(lines[i + 1]!)));
  const flat = kept.map((l) => (BULLET.test(l) ? `- ${l.replace(BULLET, '')}${LINE_END}` : l.replace(LABEL, ''))).join(' ');
  const segments = ` ${flat}`.split(/\s-\s+(?=\S)/);
  const raw: string[] = [];
  let pending: string | undefined;
  let items: string[] | undefined;
  const closeList = (): void => {
    if (pending !== undefined) {
      if (items?.length) {
        const chinese = /[\u4e00-\u9fff]/.test(pending);
        const intro = /[:：]$/.test(pending) ? pending : `${pending.replace(/[.。]$/, '')}:`;
        raw.push(`${intro} ${items.join(chinese ? '；' : '; ')}${chinese ? '。' : '.'}`);
      } else raw.push(pending);
    }
    pending = undefined;
    items = undefined;
  };
  const prose = (text: string): void => {
    const sentences = splitLine(text);
    const last = sentences.pop();
    raw.push(...sentences);
    pending = last;
  };
  segments.forEach((whole, index) => {
    // A bulleted line's item is that line: a line after it without a stop ("- An infection in the
    // mouth" then "Dry mouth is not …") is the text after the list, not the item's continuation.
    const [segment = '', ...rest] = whole.split(LINE_END);
    const after = rest.join(' ').trim();
    item(segment, index);
    if (after && items) {
      closeList();
      prose(after);
    } else if (after) prose(pending === undefined ? after : `${pending} ${after}`);
  });
  function item(segment: string, index: number): void {
    const seg = undoubled(segment.trim());
    if (index === 0) {
      if (seg) prose(seg);
      return;
    }
    if (!items && !(pending === undefined || LIST_INTRO.test(pending) || /[.。]$/.test(pending))) {
      // A dash inside prose ("ages 40 - 50"), not a list.
      const joined = pending === undefined ? seg : `${pending} - ${seg}`;
      pending = undefined;
      prose(joined);
      return;
    }
    items ??= [];
    const sentences = splitLine(seg);
    const first = sentences.shift() ?? '';
    const item = first.replace(/[.;,。；\s]+$/, '').trim();
    const key = squash(item);
    if (item && items.length < MAX_LIST_ITEMS && !items.some((x) => squash(x) === key)) items.push(item);
    if (sentences.length === 0) return;
    // An item with sentences after it: a label ("Genetics. Many people with gout …") or the list's end.
    const short = first.split(/\s+/).length <= 5;
    if (short && index < segments.length - 1) {
      raw.push(...sentences);
      return;
    }
    closeList();
    prose(sentences.join(' '));
  }
  closeList();
  const out: string[] = [];
  const seen = new Set<string>();
  for (const s of raw) {
    const clean = stripLeadingHeading(balanceBrackets(s.replace(/\s+/g, ' ').trim()), options.title);
    const key = squash(clean);
    if (clean.length <= 1 || !key || seen.has(key)) continue;
    seen.add(key);
    out.push(clean);
  }
  return out;
}

/** MedQuAD repeats list items: "a b c a b c" → "a b c" (and "a b c. a b c. Then …" → "a b c. Then …"). */
function undoubled(segment: string): string {
  const limit = Math.min(Math.floor(segment.length / 2), 800);
  for (let p = segment.indexOf(' '); p > 0 && p <= limit; p = segment.indexOf(' ', p + 1)) {
    const left = segment.slice(0, p);
    if (left.length >= 4 && segment.startsWith(left, p + 1) && /^(?:\s|$)/.test(segment.slice(2 * p + 1)))
      return `${left}${segment.slice(2 * p + 1)}`;
  }
  return segment;
}

function splitLine(line: string): string[] {
  return line
    .split(SENTENCE_END)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A short line without final punctuation whose words are capitalised: a heading such as "Risk Factors". */
function isHeadingLine(line: string): boolean {
  if (/[.!?:;。！？：；]$/.test(line) || /[\u4e00-\u9fff]/.test(line)) return false;
  const words = line.split(/\s+/);
  if (words.length > 10) return false;
  return words.every((w) => /^[A-Z0-9("']/.test(w) || HEADING_SMALL.has(w.toLowerCase()));
}

/**
 * Removes a heading run into its sentence: a run of at least two capitalised words (small words
 * allowed) followed by a word that commonly starts sentences, or by the passage's title.
 */
function stripLeadingHeading(sentence: string, title?: string): string {
  const tokens = sentence.split(' ');
  let j = 0;
  while (j < tokens.length && (/^[A-Z0-9("'][\p{L}\p{N}'’(),-]*[,:]?$/u.test(tokens[j]!) || HEADING_SMALL.has(tokens[j]!))) j++;
  if (j >= tokens.length || j < 3) return sentence;
  const titleWords = (title ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  // The body starts at the last capitalised word before the first lower-case word ("… Night | Gout is").
  for (let s = j - 1; s >= 2; s--) {
    const word = tokens[s]!.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
    if (HEADING_SMALL.has(tokens[s]!)) continue;
    const startsTitle =
      titleWords.length > 0 &&
      tokens
        .slice(s, s + titleWords.length)
        .join(' ')
        .toLowerCase()
        .startsWith(titleWords.join(' '));
    if (!(STARTERS.has(word) || startsTitle)) {
      if (s === j - 1) continue;
      break;
    }
    const heading = tokens.slice(0, s);
    const capitals = heading.filter((w) => /^[A-Z]/.test(w)).length;
    if (capitals < 2 || tokens.length - s < 3) return sentence;
    return tokens.slice(s).join(' ');
  }
  return sentence;
}

/** Drops a closing bracket whose opening one is not in the sentence: "the condition.)" → "the condition." */
function balanceBrackets(sentence: string): string {
  const opens = (sentence.match(/\(/g) ?? []).length;
  const closes = (sentence.match(/\)/g) ?? []).length;
  if (closes > opens) return sentence.replace(/\)(?=[.!?]?$)|(?<=[.!?])\)$/, '');
  return sentence;
}

/** Letters and digits only, lower-cased: what repeats are compared by. */
function squash(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
