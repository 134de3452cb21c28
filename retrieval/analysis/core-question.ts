/** A greeting, thanks or sign-off on its own, with nothing asked. */
const NOT_ASKING =
  /^(?:(?:hi|hello|hey|dear|good (?:morning|afternoon|evening|day))\b[^?]{0,40}|(?:many )?thanks?(?: you)?\b.{0,60}|thank you\b.{0,80}|(?:best |kind |warm )?regards\b.{0,40}|sincerely\b.{0,40}|please help(?: me)?|god bless\b.{0,20}|您好|你好|谢谢.{0,10}|医生(?:您|你)?好)[.!,\s]*$/i;

/** Words a sentence asks with (at its start), or phrases that ask anywhere in it. */
const ASKS_AT_START =
  /^(?:what|what's|whats|how|why|when|where|which|who|whom|is|are|am|was|were|can|could|should|shall|would|will|do|does|did|has|have|had|may|might|any|anything|must|isn't|aren't|can't|cannot|don't|doesn't)\b/i;
const ASKS_ANYWHERE =
  /\b(?:i (?:want|would like|need|wish) to know|i am wondering|i'm wondering|i wonder|wondering (?:if|whether|what|how)|please (?:tell|advise|let me know|help|explain|send)|let me know|looking for (?:information|info|help|literature|advice)|need (?:information|info|advice|help)|is it possible|what could|tell me|any (?:information|info|advice|suggestions?|help)|recommend)\b|吗|什么|怎么|如何|为什么|哪些|是否|多少|能否|可以/i;

/**
 * The sentences of a message: split after `.`, `?`, `!` (and their Chinese forms) and at line
 * breaks, trimmed, empty ones dropped. Abbreviation periods ("Dr.", "e.g.") may split; no harm here.
 */
export function sentencesOf(message: string): string[] {
  return message
    .normalize('NFKC')
    .split(/(?<=[.?!。？！])\s*|\n+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
}

/** Whether a sentence asks something (a question mark, a question word first, or an asking phrase). */
export function asks(sentence: string): boolean {
  return /[?？]\s*$/.test(sentence) || ASKS_AT_START.test(sentence) || ASKS_ANYWHERE.test(sentence);
}

/**
 * The core question of a message: the sentences that ask, without greetings, thanks and
 * background; the whole message without its greetings when no sentence asks (a bare "gout
 * treatment"). A message of one sentence is its own core.
 *
 * @example
 * coreQuestion('Hi. My mother is 70 and has gout. What foods should she avoid? Thanks!') // → 'What foods should she avoid?'
 */
export function coreQuestion(message: string): string {
  const sentences = sentencesOf(message).filter((s) => !NOT_ASKING.test(s));
  if (sentences.length <= 1) return sentences[0] ?? message.trim();
  const asking = sentences.filter(asks);
  return (asking.length ? asking : sentences).join(' ');
}

/**
 * The questions within a sentence or message: its asking sentences, each split again where a new
 * question starts after "and"/"also" ("what is mpox and how is it tested?" → two).
 */
export function questionClauses(text: string): string[] {
  const sentences = sentencesOf(text);
  const asking = sentences.filter(asks);
  return (asking.length ? asking : sentences).flatMap((s) =>
    s
      .split(/,?\s+(?:and|also|or|plus)\s+(?=(?:what|how|why|when|where|which|who|is|are|can|could|should|does|do|will)\b)|[;；]\s*/i)
      .map((c) => c.trim())
      .filter(Boolean),
  );
}
