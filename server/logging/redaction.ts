/**
 * What {@link redact} replaces, in the order it applies them. Each rule keeps the cue words
 * ("my name is", "MRN") and replaces only the value, so a redacted question still reads.
 */
interface RedactionRule {
  name: string;
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

const MONTH =
  '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\.?';
const DATE = [
  '\\d{4}-\\d{1,2}-\\d{1,2}',
  '\\d{1,2}[/.-]\\d{1,2}[/.-](?:\\d{4}|\\d{2})',
  `\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH},?\\s+\\d{4}`,
  `${MONTH}\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}`,
].join('|');
// A capitalised word of a name: "Smith", "O'Neil", "Jean-Luc", "Zoë".
const NAME_WORD = "\\p{Lu}[\\p{L}'’-]*";
const NAME = `${NAME_WORD}(?:\\s+${NAME_WORD}){0,2}`;

const RULES: readonly RedactionRule[] = [
  {
    name: 'email',
    pattern: /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu,
    replace: () => '[email]',
  },
  {
    name: 'date of birth',
    pattern: new RegExp(`\\b(DOB|D\\.O\\.B\\.|date of birth|birth ?date|born(?: on| in)?)(\\s*[:=]?\\s*)(${DATE}|\\d{4}\\b)`, 'giu'),
    replace: (_m, cue: string, gap: string) => `${cue}${gap}[date of birth]`,
  },
  {
    name: 'record number',
    pattern:
      /\b(MRN|medical record(?: number| no\.?| #)?|record (?:number|no\.?|#)|(?:patient|hospital|NHS|chart|case|member|insurance|policy) (?:id|number|no\.?|#)|ID(?!\p{L}))(\s*(?:is|:|#|=)?\s*#?\s*)((?:[A-Z]{1,4}[-\s]?)?\d(?:[\dA-Z-]|\s(?=\d)){3,})/giu,
    replace: (_m, cue: string, gap: string) => `${cue}${gap}[record number]`,
  },
  { name: 'id number', pattern: /\b\d{3}-\d{2}-\d{4}\b/g, replace: () => '[id number]' },
  { name: 'date', pattern: new RegExp(`\\b(?:${DATE})\\b`, 'giu'), replace: () => '[date]' },
  {
    name: 'phone number',
    pattern: /(?<![\p{L}\p{N}])\+?(?:\(\d{1,4}\)|\d)[\d\s().-]{5,}\d(?![\p{L}\p{N}])/gu,
    replace: (m) => {
      const digits = m.replace(/\D/g, '').length;
      return digits >= 7 && digits <= 15 ? '[phone]' : m;
    },
  },
  {
    name: 'name',
    // Case-sensitive on purpose: a name word must start with a capital, so the cue spells its own cases.
    pattern: new RegExp(
      `((?:[Mm]y [Nn]ame(?: is|'s)|MY NAME IS|[Nn]ame\\s*:|NAME\\s*:|[Ii] am called|[Ii]'m called|[Nn]amed)\\s+)(${NAME}|\\p{Ll}+)`,
      'gu',
    ),
    replace: (_m, cue: string) => `${cue}[name]`,
  },
  {
    name: 'name',
    pattern: new RegExp(
      `\\b((?:[Pp]atient|PATIENT|[Pp]t\\.?|Mr|Mrs|Ms|Mx|Miss|Mr\\.|Mrs\\.|Ms\\.|Mx\\.)(?:\\s*:)?\\s+)(?!(?:ID|MRN|No|Number)\\b)(${NAME})`,
      'gu',
    ),
    replace: (_m, cue: string) => `${cue}[name]`,
  },
  { name: 'name', pattern: /(我叫|我的名字是|我的名字叫)\s*[\u4e00-\u9fff]{1,4}/gu, replace: (_m, cue: string) => `${cue}[name]` },
];

/**
 * Removes personal details from free text before it is logged: e-mail addresses, dates of
 * birth and other calendar dates, record numbers (MRN, patient/NHS/chart/insurance ids, US SSNs),
 * phone numbers, and names after "my name is", "patient", "Mr/Mrs/Ms" (and 我叫). It errs on the
 * side of removing too much: a log needs the shape of a question, not its particulars.
 *
 * @example
 * redact('My name is John Smith, DOB 04/07/1961, MRN 00123456, call +1 (555) 010-7788 or jo@x.org');
 * // 'My name is [name], DOB [date of birth], MRN [record number], call [phone] or [email]'
 */
export function redact(text: string): string {
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace as (m: string, ...g: string[]) => string);
  return out;
}
