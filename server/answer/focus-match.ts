import { inSense, type AnalysedQuestion } from '../../retrieval/analysis/index.js';
import { answerTerms } from './answer-terms.js';

/** What a question is about, as terms to match passage titles against. */
export interface QuestionFocus {
  /** The analyser's focus entities, by their corpus names (lower-cased), when it recognised any. */
  names: string[];
  /** The question's content terms that can name a subject: stemmed, with question-type and generic words dropped. */
  terms: string[];
  /** The question's words in order, stemmed; stopwords as null (they break a phrase). */
  words: Array<string | null>;
  /** The question's text, as searched for the senses of everyday words. */
  text: string;
  /** Whether a term occurs in the retrieved evidence (a word no passage has can narrow a subject: "Oropouche fever"). */
  known: (term: string) => boolean;
}

// Words that name no subject of their own: question-type words and generic medical nouns. A title
// that shares only these with a question ("Heart failure - tests" for "how is mpox tested?") is not about it.
const GENERIC = new Set(
  answerTerms(
    [
      'disease diseases syndrome syndromes disorder disorders condition conditions infection infections virus viral type types',
      'test tests testing tested exam exams screening diagnosis diagnose diagnosed symptom symptoms sign signs cause causes caused',
      'treatment treatments treat treated therapy therapies medicine medicines medication medications drug drugs cure',
      'prevention prevent risk risks outlook prognosis complication complications effect effects side deficiency problem problems',
      'health healthy care medical information people person adult adults child children kid kids baby babies woman women man men',
      'take taking get getting use used using good bad normal body chronic acute long term need want feel feeling like also',
      'year years day days old new doctor doctors hospital patient patients common rare help thing things way work life',
      'fix make made know question answer please thank thanks hi hello dear sir madam',
      'severe mild bad worse worst sudden constant high low little big small left right upper lower frequent painful terrible',
      'diet diets food foods eat eating',
    ].join(' '),
  ),
);
// Chinese bigrams that ask rather than name ("症状", "怎么", "治疗").
const GENERIC_ZH = new Set(
  '症状 治疗 什么 哪些 怎么 如何 原因 可以 医生 患者 病人 疾病 问题 检查 诊断 预防 是否 需要 应该 有哪 么办 怎样 为什 什么 吗？ 一下 请问 谢谢 你好 您好'.split(
    ' ',
  ),
);

/**
 * The focus of an analysed question: the analyser's focus names, and the content terms of the
 * question as it stands alone (a bare follow-up borrows the previous turn).
 *
 * @example
 * questionFocus(analysis).terms // 'What are the symptoms of gout?' → ['gout']
 */
export function questionFocus(
  analysis: Pick<AnalysedQuestion, 'focus' | 'standalone'>,
  message?: string,
  known: (term: string) => boolean = () => false,
): QuestionFocus {
  // The whole message counts: a long one's core question may say only "what can I do about it?".
  const texts = (message && !analysis.standalone.includes(message) ? [message, analysis.standalone] : [analysis.standalone]).map(
    decodeEntities,
  );
  const text = texts.join('\n');
  // The message's last word does not stand before the core question's first (null breaks the phrase).
  // Hyphenated words as their parts: a title's compound ("cri-du-chat") is matched as a phrase of them.
  const words = texts.map(unhyphenate).flatMap((t, i) => (i === 0 ? phraseWords(t) : [null, ...phraseWords(t)]));
  // "Buruli ulcer" recognised as the corpus's "ulcer" is narrower than it: not that entity.
  const names = subjectEntities(analysis.focus, message)
    .filter((f) => !narrowedInQuestion(words, focusTerms(f.text), known))
    .map((f) => unhyphenate(f.name.toLowerCase().trim()));
  const terms = new Set(focusTerms(text));
  for (const name of names) for (const t of focusTerms(name)) terms.add(t);
  return { names, terms: [...terms], words, known, text };
}

/**
 * The analyser's focus entities that name a subject: not those recognised from generic words only
 * ("side effects" → Drug Reactions), which say what is asked rather than about what.
 */
export function subjectEntities<T extends { text: string; name: string; match?: string }>(focus: readonly T[], message?: string): T[] {
  return focus.filter((f) => {
    const said = focusTerms(f.text);
    if (!f.name.trim() || said.length === 0) return false;
    // A short respelling is trusted only as close as a typo ("diabetis"), not "chess" → "cholestasis"; a long word is rarely another real one.
    if (f.match === 'spelling' && f.text.trim().length < 9) {
      const named = focusTerms(f.name);
      if (!said.every((t) => named.some((n) => t[0] === n[0] && Math.abs(t.length - n.length) <= 2 && editDistance(t, n, 2) <= 2)))
        return false;
    }
    // An acronym name ("CHARGE syndrome") is meant only when the message writes it so, not "one charge".
    const acronym = f.name.match(/\b[A-Z]{3,}\b/)?.[0];
    if (message !== undefined && acronym && acronym.toLowerCase() === f.text.trim() && !message.includes(acronym)) return false;
    return true;
  });
}

/** A text's subject-naming terms: {@link answerTerms} without the generic ones. */
export function focusTerms(text: string): string[] {
  return [...new Set(answerTerms(text))].filter((t) => !GENERIC.has(t) && !GENERIC_ZH.has(t) && !/^\d+$/.test(t));
}

/**
 * How much a passage title is about the question's focus, 0–1: 1 when the title is one of the
 * analyser's focus names (or contains it, or is contained in it); else the share of the title's
 * subject terms that the question names (misspellings within an edit or two count: "diabetis").
 * Chinese titles count matched bigrams against the question's, at most three needed.
 *
 * @example
 * focusScore(questionFocus(analysis), 'Gout') // 'What are the symptoms of gout?' → 1
 * focusScore(questionFocus(analysis), 'Heart failure - tests') // 'how is mpox tested?' → 0
 */
export function focusScore(focus: QuestionFocus, title: string): number {
  // The sources spell names apart: "cri-du-chat syndrome" (one collection) is "Cri du chat syndrome" (another).
  const lower = unhyphenate(title.toLowerCase().trim());
  if (!lower) return 0;
  if (focus.names.includes(lower)) return 1;
  // A title naming the subject among other words ("Obesity Hypoventilation Syndrome") is about it, less than "Obesity" is.
  for (const name of focus.names) if (containsPhrase(lower, name) || containsPhrase(name, lower)) return 0.8;
  const titleTerms = focusTerms(title);
  if (titleTerms.length === 0 || focus.terms.length === 0) return 0;
  // A one-word subject that is an everyday word is meant only in its medical sense ("a twist sends
  // shock through my body" is no Shock, "orology in the west" no West syndrome).
  if (titleTerms.length === 1 && !inSense(titleTerms[0]!, focus.text)) return 0;
  const written = writtenCompounds(focus.words, title);
  const matched = titleTerms.filter((t) => focus.terms.some((q) => sameTerm(q, t)) || written.has(t)).length;
  if (matched === 0) return 0;
  // The question writes hyphenated words apart: their parts are the title's words too.
  if (narrowedInQuestion(focus.words, [...titleTerms, ...focusTerms(unhyphenate(title))], focus.known)) return 0;
  if (/[\u4e00-\u9fff]/.test(title)) {
    const asked = focus.terms.filter((t) => /[\u4e00-\u9fff]/.test(t)).length;
    return Math.min(1, matched / Math.max(1, Math.min(3, asked, titleTerms.length)));
  }
  return matched / titleTerms.length;
}

/** Whether a passage's opening (its first few hundred characters) names one of the question's focus names. */
export function opensWith(focus: QuestionFocus, text: string): boolean {
  const opening = unhyphenate(text.slice(0, OPENING_CHARS).toLowerCase());
  return focus.names.some((name) => containsPhrase(opening, name));
}

/** What a passage's opening is: about its first two sentences. */
const OPENING_CHARS = 300;

/**
 * Whether the question names something narrower than the title: a word right before the title's
 * words that the title lacks and no retrieved passage knows ("Oropouche fever" is not "Fever");
 * a known word there is rather a verb or a qualifier ("relieve dry mouth").
 */
function narrowedInQuestion(words: ReadonlyArray<string | null>, titleTerms: readonly string[], known: (term: string) => boolean): boolean {
  const inTitle = (w: string | null) => w !== null && titleTerms.some((t) => sameTerm(w, t));
  for (let i = 0; i < words.length; i++) {
    if (!inTitle(words[i]!) || inTitle(words[i - 1] ?? null)) continue;
    const before = words[i - 1];
    if (before && !GENERIC.has(before) && !known(before) && !/^\d+$/.test(before) && !/[\u4e00-\u9fff]/.test(before)) return true;
  }
  return false;
}

/** The text's words in order, stemmed; stopwords and punctuation between words (quotes, slashes, commas) as null. */
function phraseWords(text: string): Array<string | null> {
  const words: Array<string | null> = [];
  for (const m of text
    .normalize('NFKC')
    .toLowerCase()
    .matchAll(/([\p{L}\p{N}][\p{L}\p{N}'-]*)|([^\p{L}\p{N}\s]+)/gu)) {
    words.push(m[1] ? (answerTerms(m[1])[0] ?? null) : null);
  }
  return words;
}

/**
 * The title's hyphenated terms ("cri-du-chat") that the question writes as their words in a row
 * ("cri du chat"), as title terms; "port-wine" is not written by "red wine" alone.
 */
function writtenCompounds(words: ReadonlyArray<string | null>, title: string): Set<string> {
  const found = new Set<string>();
  for (const compound of title.toLowerCase().match(/[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)+/gu) ?? []) {
    const parts = compound.split('-').map((p) => answerTerms(p)[0] ?? null);
    if (parts.some((p) => p === null)) continue;
    for (let i = 0; i + parts.length <= words.length; i++)
      if (parts.every((p, j) => words[i + j] === p)) {
        for (const t of answerTerms(compound)) found.add(t);
        break;
      }
  }
  return found;
}

/** Prefixes that stay joined: "non-Hodgkin" is no "Hodgkin", "anti-NMDA" no "NMDA". */
const BOUND_PREFIXES = new Set([
  'non',
  'anti',
  'pre',
  'post',
  'co',
  'self',
  'multi',
  'semi',
  'pseudo',
  'hyper',
  'hypo',
  'ex',
  'de',
  're',
  'un',
]);

/**
 * Hyphens between words as spaces, so the sources' spellings meet: "cri-du-chat syndrome" (one
 * collection) is "Cri du chat syndrome" (another), "hand-foot-and-mouth" is "hand, foot and mouth".
 */
function unhyphenate(text: string): string {
  return text.replace(/(\p{L}+)-(?=\p{L})/gu, (whole, left: string) => (BOUND_PREFIXES.has(left.toLowerCase()) ? whole : `${left} `));
}

const ENTITIES: Readonly<Record<string, string>> = { '&quot;': '"', '&amp;': '&', '&apos;': "'", '&lt;': '<', '&gt;': '>', '&nbsp;': ' ' };

/** "&quot;hypothyroidism&quot;" → '"hypothyroidism"': consumer messages arrive HTML-escaped. */
function decodeEntities(text: string): string {
  return text.replace(/&(?:quot|amp|apos|lt|gt|nbsp|#\d{1,6});/g, (e) => ENTITIES[e] ?? String.fromCodePoint(Number(e.slice(2, -1))));
}

/** Whether `phrase` occurs in `text` as whole words. */
function containsPhrase(text: string, phrase: string): boolean {
  if (phrase.length < 3) return false;
  const at = text.indexOf(phrase);
  if (at < 0) return false;
  const before = text[at - 1];
  const after = text[at + phrase.length];
  return (before === undefined || !/[\p{L}\p{N}]/u.test(before)) && (after === undefined || !/[\p{L}\p{N}]/u.test(after));
}

/** The same stem, or a consumer misspelling of it: one edit for 5–7 letters, two from 8, same first letter. */
function sameTerm(a: string, b: string): boolean {
  if (a === b) return true;
  const shorter = Math.min(a.length, b.length);
  if (shorter < 5 || a[0] !== b[0] || /[\u4e00-\u9fff]/.test(a)) return false;
  const allowed = shorter >= 8 ? 2 : 1;
  return Math.abs(a.length - b.length) <= allowed && editDistance(a, b, allowed) <= allowed;
}

/** Damerau–Levenshtein distance (adjacent transpositions), stopping early above `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    rows[i]![0] = i;
  }
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
      best = Math.min(best, d);
    }
    if (best > limit) return best;
  }
  return rows[a.length]![b.length]!;
}
