/** The two things an interaction question asks about together ("ibuprofen" and "lisinopril"). */
export interface InteractionPair {
  a: string;
  b: string;
}

const NAME = String.raw`([\p{L}\p{N}][\p{L}\p{N}'-]*(?:\s+[\p{L}\p{N}][\p{L}\p{N}'-]*){0,3}?)`;
const JOIN = String.raw`\s+(?:with|and|while (?:on|taking|using)|together with|alongside|plus)\s+`;
const PATTERNS: readonly RegExp[] = [
  new RegExp(
    String.raw`\b(?:take|taking|use|using|mix|mixing|combine|combining|drink|drinking|eat|eating)\s+${NAME}${JOIN}${NAME}(?=\s*(?:together|at the same time|safely|\?|\.|,|$))`,
    'iu',
  ),
  // "have" only as a question ("can I have wine with metronidazole"): "I have chest pain and I am
  // sweating" lists symptoms.
  new RegExp(
    String.raw`\b(?:can|could|may|should|safe to|ok to|okay to|fine to)\s+(?:i\s+|you\s+|we\s+|he\s+|she\s+)?have\s+${NAME}${JOIN}${NAME}(?=\s*(?:together|at the same time|safely|\?|\.|,|$))`,
    'iu',
  ),
  new RegExp(String.raw`\bdoes\s+${NAME}\s+interact\s+with\s+${NAME}(?=\s*(?:\?|\.|,|$))`, 'iu'),
  new RegExp(String.raw`\binteractions?\s+(?:between|of)\s+${NAME}\s+and\s+${NAME}(?=\s*(?:\?|\.|,|$))`, 'iu'),
  new RegExp(String.raw`\b${NAME}\s+and\s+${NAME}\s+interactions?\b`, 'iu'),
];
const FILLER = /^(?:a|an|the|my|some|any|it|this|that|these|those)\s+/i;
const PRONOUN = /^(?:it|them|this|that|i|you|me|we|they|something|anything)$/i;
/** A name that starts a clause ("I am sweating", "she has a rash") is not a thing taken. */
const CLAUSE = /^(?:i|you|he|she|we|they|it|my|his|her|their)\s+(?:am|is|are|was|were|have|has|had|feel|feels|get|gets|got)\b/i;

/**
 * The two medicines (or a medicine and a food or drink) a question asks to take together, in its
 * own words; undefined when it asks nothing of the kind.
 *
 * @example
 * interactionPair('can i take ibuprofen with lisinopril') // → { a: 'ibuprofen', b: 'lisinopril' }
 */
export function interactionPair(question: string): InteractionPair | undefined {
  const text = question.replace(/\s+/g, ' ').trim();
  for (const pattern of PATTERNS) {
    const m = pattern.exec(text);
    if (!m) continue;
    const a = clean(m[1] ?? '');
    const b = clean(m[2] ?? '');
    if (!a || !b || a.toLowerCase() === b.toLowerCase()) continue;
    if (PRONOUN.test(a) || PRONOUN.test(b) || CLAUSE.test(a) || CLAUSE.test(b)) continue;
    return { a, b };
  }
  return undefined;
}

function clean(name: string): string {
  return name.replace(FILLER, '').replace(FILLER, '').trim();
}
