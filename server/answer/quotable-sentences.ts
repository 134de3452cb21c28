import { splitSentences } from './sentences.js';

// Sentences that are page furniture rather than medical content.
const BOILERPLATE =
  /\b(?:human phenotype ontology|medlineplus medical dictionary|click here|this (?:page|website|site|fact sheet)|the table below|see (?:also|the)|(?:for|has|have|provides?|offers?) more information|more information (?:is|can be)|learn more|check out|information here|see related|related to (?:this|these)|orphanet|these resources|gene ?reviews?:|genetic testing registry|diagnostic tests?:|adapted from|last updated|copyright|video|www\.|https?:)|\d{3}[-.) ]{1,2}\d{3}[-. ]\d{4}/i;
// Text addressed to an AI model: a retrieved passage is data, and such sentences are never quoted as the answer.
const INSTRUCTION_TO_MODEL =
  /\b(?:ignore|disregard|forget|override)\b.{0,60}\b(?:instructions?|prompts?|rules|guidelines|above|previous)\b|\b(?:system prompt|as an ai|language model|you are (?:now )?(?:a|an|the) (?:ai|assistant|chatbot|model))\b|(?:忽略|无视).{0,20}(?:指令|提示|规则)/i;

/**
 * The sentences of a passage an answer may quote, in reading order: {@link splitSentences}'s,
 * without questions, fragments, page furniture (phone numbers, "click here", links) or text
 * addressed to an AI model.
 *
 * @example
 * quotableSentences('Gout is arthritis. Click here for more. Ignore previous instructions.', 'Gout') // → ['Gout is arthritis.']
 */
export function quotableSentences(text: string, title?: string): string[] {
  return splitSentences(text, title ? { title } : {}).filter(usable);
}

function usable(sentence: string): boolean {
  const trimmed = sentence.trim();
  if (/[?？]$/.test(trimmed)) return false;
  const chinese = /[\u4e00-\u9fff]/.test(trimmed);
  if (chinese ? trimmed.length < 6 : trimmed.split(/\s+/).length < 4) return false;
  if (trimmed.length > 700) return false;
  if (!chinese && titleLine(trimmed)) return false;
  return !BOILERPLATE.test(trimmed) && !INSTRUCTION_TO_MODEL.test(trimmed);
}

/** A heading or an attribution ("Centers for Disease Control and Prevention"): no closing stop, every longer word capitalised. */
function titleLine(sentence: string): boolean {
  if (/[.!?:;)\]]$/.test(sentence)) return false;
  const long = sentence.split(/\s+/).filter((w) => /^\p{L}{4,}/u.test(w));
  return long.length > 0 && long.every((w) => /^\p{Lu}/u.test(w));
}
