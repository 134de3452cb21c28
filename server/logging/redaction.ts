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
// People a question speaks of by first name ("my son John").
const RELATIVE =
  '(?:son|daughter|wife|husband|partner|boyfriend|girlfriend|mother|father|mom|mum|dad|brother|sister|child|kid|baby|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|aunt|uncle|nephew|niece|cousin|friend|neighbou?r|colleague)';
const STREET_TYPE =
  '(?:Street|St|Lane|Ln|Road|Rd|Avenue|Ave|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|Terrace|Close|Crescent|Square|Sq|Highway|Hwy|Parkway|Row|Grove|Gardens|Walk|Mews|Hill)';
// Words that end a free-form address ("I live at … and my ankle hurts").
const ADDRESS_END = '(?=\\s+(?:and|but|so|with|since|because|what|how|is|are|my|I|for|please)\\b|\\s*[.;!?\\n(]|$)';

const RULES: readonly RedactionRule[] = [
  {
    name: 'url',
    pattern: /\b(?:https?:\/\/|www\.)[^\s<>"')\]]+/giu,
    replace: () => '[url]',
  },
  {
    name: 'email',
    pattern: /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu,
    replace: () => '[email]',
  },
  {
    name: 'ip address',
    pattern: /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b|\b(?:[0-9a-f]{1,4}:){1,7}(?::?[0-9a-f]{1,4}){1,7}\b/giu,
    // A time ("10:30") has one colon and is left alone.
    replace: (m) => (m.includes('.') || (m.match(/:/g)?.length ?? 0) >= 3 ? '[ip]' : m),
  },
  {
    name: 'date of birth',
    pattern: new RegExp(
      `\\b(DOB|D\\.O\\.B\\.?|date of birth|birth ?date|birthday(?: is)?|born(?: on(?: the)?| in)?)(\\s*[:=]?\\s*)(${DATE}|\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2}|${MONTH}\\s+\\d{4}|\\d{4}\\b)`,
      'giu',
    ),
    replace: (_m, cue: string, gap: string) => `${cue}${gap}[date of birth]`,
  },
  {
    name: 'record number',
    pattern:
      /\b(MRN|SSN|social security(?: number| no\.?| #)?|medical record(?: number| no\.?| #)?|record (?:number|no\.?|#)|(?:patient|hospital|NHS|chart|case|member|subscriber|insurance|policy|Medicare|Medicaid|passport|licen[cs]e|account|health card) (?:id|number|no\.?|#)|chart|ID(?!\p{L}))(\s*(?:is|:|#|=)?\s*#?\s*)((?:[A-Z\d]{1,4}[-\s]?)?[\dA-Z](?:[\dA-Z-]|\s(?=\d)){3,})/giu,
    replace: (_m, cue: string, gap: string, value: string) => (/\d/.test(value) ? `${cue}${gap}[record number]` : _m),
  },
  { name: 'id number', pattern: /\b\d{3}-\d{2}-\d{4}\b/g, replace: () => '[id number]' },
  // Codes of letters and digits in dashed groups ("XJH-449-2210-77", "1EG4-TE5-MK73"): record or insurance numbers.
  {
    name: 'id number',
    pattern: /\b(?=[A-Z\d-]*\d)[A-Z\d]{1,6}(?:-[A-Z\d]{2,}){2,}\b/g,
    replace: (m) => ((m.match(/\d/g)?.length ?? 0) >= 3 && /[A-Z]/.test(m) ? '[id number]' : m),
  },
  {
    name: 'phone number',
    // International form first: "+81-3-1234-5678" is not a date.
    pattern: /(?<![\p{L}\p{N}+])\+\d[\d\s().-]{5,}\d(?![\p{L}\p{N}])/gu,
    replace: (m) => {
      const digits = m.replace(/\D/g, '').length;
      return digits >= 7 && digits <= 15 ? '[phone]' : m;
    },
  },
  { name: 'date', pattern: new RegExp(`\\b(?:${DATE})\\b`, 'giu'), replace: () => '[date]' },
  { name: 'postcode', pattern: /\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b/g, replace: () => '[postcode]' },
  { name: 'postcode', pattern: /\b(?:[A-Z]{2,3})\s+\d{4,5}(?:-\d{4})?\b/g, replace: () => '[postcode]' },
  {
    name: 'street address',
    pattern: new RegExp(
      `\\b\\d{1,5}[A-Z]?\\s+(?:(?:${NAME_WORD})\\s+){1,3}${STREET_TYPE}\\b\\.?(?:,?\\s+(?:apartment|apt\\.?|flat|unit|suite)\\s+\\w+)?(?:,?\\s+(?:in\\s+)?(?!(?:and|but|with)\\b)${NAME_WORD}(?:\\s+${NAME_WORD})?)?`,
      'gu',
    ),
    replace: () => '[address]',
  },
  {
    name: 'address',
    // After "I live at/in", "address:", the rest of the clause.
    pattern: new RegExp(
      `\\b((?:[Ii] live|[Ww]e live|[Hh]e lives|[Ss]he lives|[Tt]hey live|[Ll]iving|[Ii] reside|[Rr]esiding|[Hh]ome is|[Ii]'m|[Ii] am)\\s+(?:at|in|on)\\s+|(?:[Aa]ddress|ADDRESS)(?:\\s+is|\\s*:)\\s*|[Ss]end (?:it|the \\w+) to\\s+)((?:[\\p{Lu}\\d][^.;!?\\n]*?))${ADDRESS_END}`,
      'gu',
    ),
    replace: (_m, cue: string) => `${cue}[address]`,
  },
  {
    name: 'phone number',
    pattern: /(?<![\p{L}\p{N}])\+?(?:\(\d{1,4}\)|\d)[\d\s().-]{5,}\d(?![\p{L}\p{N}])/gu,
    replace: (m) => {
      const digits = m.replace(/\D/g, '').length;
      return digits >= 7 && digits <= 15 ? '[phone]' : m;
    },
  },
  // Long bare numbers (a record number without its cue).
  { name: 'number', pattern: /(?<![\d.,])\d{7,}(?![\d.,])/g, replace: () => '[number]' },
  {
    name: 'age over 89',
    // HIPAA Safe Harbor: ages over 89 are identifying; "[age over 89]" keeps the sense.
    pattern:
      /\b(?:(aged?\s*:?\s*)(9\d|1[0-2]\d)\b|(9\d|1[0-2]\d)(\s*(?:-\s*)?(?:years?(?:\s*-\s*|\s+)old|year-old|yrs?\b|y\.?o\.?(?!\p{L}))))/giu,
    replace: (_m, cue: string | undefined, _age: string, _age2: string, tail: string | undefined) =>
      cue !== undefined ? `${cue}[age over 89]` : `[age over 89]${tail ?? ''}`,
  },
  {
    name: 'age over 89',
    pattern: /\b((?:[Ss]he|[Hh]e|[Ii]) (?:is|am|'s|’s) )(9\d|1[0-2]\d)\b(?!\s*(?:kg|lb|mg|%|cm|bpm|mmHg))/gu,
    replace: (_m, cue: string) => `${cue}[age over 89]`,
  },
  {
    name: 'name',
    // Case-sensitive on purpose: a name word must start with a capital, so the cue spells its own cases.
    pattern: new RegExp(
      `((?:[Mm]y [Nn]ame(?: is|'s|’s)|MY NAME IS|[Nn]ame\\s*:|NAME\\s*:|[Ii] am called|[Ii]'m called|[Ii]’m called|[Nn]amed|[Cc]alled|[Nn]ame is)\\s+)(${NAME}|\\p{Ll}+)`,
      'gu',
    ),
    replace: (_m, cue: string) => `${cue}[name]`,
  },
  {
    name: 'name',
    // Self-introductions and sign-offs: "Hi, I'm Zebulon Fairweather", "This is Ottoline", "Regards, Phil".
    pattern: new RegExp(
      `((?:^|[\\s,;(])(?:[Ii]'m|[Ii]’m|I am|[Tt]his is|[Ii]t's|[Ii]t’s|[Cc]all me|[Tt]hanks,?|[Tt]hank you,?|[Rr]egards,?|[Kk]ind regards,?|[Bb]est wishes,?|[Cc]heers,?|[Ss]incerely,?|[Ff]rom)\\s+)(${NAME})`,
      'gu',
    ),
    replace: (_m, cue: string) => `${cue}[name]`,
  },
  {
    name: 'name',
    // "my son John", "My wife, Henrietta Poll,", "my sister's name is …" (the cue above takes that one).
    pattern: new RegExp(`\\b([Mm]y\\s+${RELATIVE}(?:,\\s*|\\s+))(${NAME})`, 'gu'),
    replace: (_m, cue: string) => `${cue}[name]`,
  },
  {
    name: 'name',
    pattern: new RegExp(
      `\\b((?:[Pp]atient|PATIENT|[Pp]t\\.?|Mr|Mrs|Ms|Mx|Miss|Mr\\.|Mrs\\.|Ms\\.|Mx\\.|Dr|Dr\\.|Doctor|Prof\\.?)(?:\\s*:)?\\s+)(?!(?:ID|MRN|No|Number)\\b)(${NAME})`,
      'gu',
    ),
    replace: (_m, cue: string) => `${cue}[name]`,
  },
  {
    name: 'name',
    // Who cares for the patient: "seen by Barnaby Thistlewood", "referred by Ann Lee", "under Ann Lee".
    pattern: new RegExp(
      `\\b((?:[Ss]een|[Rr]eferred|[Tt]reated|[Ee]xamined|[Aa]ttended|[Vv]isited|[Cc]ared for|[Ll]ooked after|[Aa]ccompanied|[Pp]rescribed|[Dd]iagnosed|[Ff]ollowed|[Mm]anaged|[Ss]upervised) by\\s+|[Uu]nder the care of\\s+|[Cc]are of\\s+|[Cc]/[Oo]\\s+)(${NAME})`,
      'gu',
    ),
    replace: (_m, cue: string) => `${cue}[name]`,
  },
  { name: 'name', pattern: /(我叫|我的名字是|我的名字叫)\s*[\u4e00-\u9fff]{1,4}/gu, replace: (_m, cue: string) => `${cue}[name]` },
];

/**
 * Removes personal details from free text before it is logged: URLs, e-mail and IP addresses,
 * dates of birth and other calendar dates, record numbers (MRN, SSN, patient/NHS/chart/insurance/
 * Medicare/passport ids, dashed letter-and-digit codes, bare runs of 7+ digits), street addresses
 * and what follows "I live at/in", postcodes, phone numbers (international forms), ages over 89
 * (HIPAA), and names after "my name is", "I'm", "this is", "patient", "Mr/Mrs/Ms/Dr", "my son",
 * "seen/referred/treated by", "under the care of", sign-offs ("Regards,") and 我叫. It errs on the side of removing too much: a log needs the shape
 * of a question, not its particulars. What it is known to miss: tests/security/redaction-corpus.test.ts.
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
