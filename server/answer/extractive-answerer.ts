import { answerTerms } from './answer-terms.js';
import type { NumberedPassage } from './citation.js';
import { answersType, classifyQuestion, sectionMatchesType, type QuestionType } from '../../retrieval/analysis/index.js';
import { splitSentences } from './sentences.js';

/** Options of {@link answerExtractively}; every field optional. */
export interface ExtractiveOptions {
  /** Most sentences in the answer. Default 5. */
  maxSentences?: number;
  /** Most characters of answer text (sentences only, markers excluded). Default 1200. */
  maxChars?: number;
  /** Sentences sharing more than this fraction of their words with a chosen one are redundant. Default 0.5. */
  redundancy?: number;
  /** The question type; default {@link classifyQuestion} of the question. */
  type?: QuestionType;
}

/** An extractive answer: chosen sentences, each run cited with its passage's `[n]`. */
export interface ExtractiveAnswer {
  /** The answer text, empty when no passage had a usable sentence. */
  text: string;
  type: QuestionType;
  /** Passage numbers cited, in order of appearance. */
  cited: number[];
  /** Sentences used. */
  sentences: number;
}

interface Candidate {
  passage: number;
  position: number;
  text: string;
  words: Set<string>;
  score: number;
}

// Sentences that are page furniture rather than medical content.
const BOILERPLATE =
  /\b(?:human phenotype ontology|medlineplus medical dictionary|click here|this (?:page|website|site|fact sheet)|the table below|see (?:also|the)|(?:for|has|have|provides?|offers?) more information|more information (?:is|can be)|learn more|orphanet|adapted from|last updated|copyright|video|www\.|https?:)|\d{3}[-.) ]{1,2}\d{3}[-. ]\d{4}/i;
// MedQuAD's "what research (or clinical trials) is being done for …": studies, not answers.
const RESEARCH = /\b(?:research|clinical trials?|studies)\b/i;
// "Glaucoma is a group of diseases …", "Cystic fibrosis (CF) is an inherited disease …"
const DEFINITION =
  /^(?:\S+\s){0,7}(?:is|are|refers to)\s(?:a|an|the|one|any|common|rare|inherited|genetic|chronic)\b|^\S.{0,40}是(?:一种|指)/i;
// Text addressed to an AI model: a retrieved passage is data, and such sentences are never quoted as the answer.
const INSTRUCTION_TO_MODEL =
  /\b(?:ignore|disregard|forget|override)\b.{0,60}\b(?:instructions?|prompts?|rules|guidelines|above|previous)\b|\b(?:system prompt|as an ai|language model|you are (?:now )?(?:a|an|the) (?:ai|assistant|chatbot|model))\b|(?:忽略|无视).{0,20}(?:指令|提示|规则)/i;

/**
 * Answers without a generative model: splits the top passages into sentences, scores each by the
 * question's content words (weighted by rarity among the candidates), by whether it speaks to the
 * question type (symptoms, causes, treatment, …) and by its passage's rank and section, picks the
 * best while skipping near-duplicates, and writes them in passage order with `[n]` markers. A
 * sentence that reads as instructions to an AI is never chosen.
 *
 * @example
 * const { text, cited } = answerExtractively('What are the symptoms of gout?', passages);
 * // text: 'Gout causes sudden, severe joint pain and swelling … [1] …', cited: [1]
 */
export function answerExtractively(
  question: string,
  passages: readonly NumberedPassage[],
  options: ExtractiveOptions = {},
): ExtractiveAnswer {
  const type = options.type ?? classifyQuestion(question);
  const maxSentences = options.maxSentences ?? 5;
  const maxChars = options.maxChars ?? 1200;
  const redundancy = options.redundancy ?? 0.5;
  const questionTerms = new Set(answerTerms(question));

  const candidates: Candidate[] = [];
  const defining = type === 'definition' || type === 'general';
  passages.forEach((p, rank) => {
    const sectionFits = sectionMatchesType(p.evidence.section, type);
    const offTopic = RESEARCH.test(p.evidence.section) && !RESEARCH.test(question);
    splitSentences(p.evidence.text, { title: p.evidence.title }).forEach((text, position) => {
      if (!usable(text)) return;
      const words = new Set(answerTerms(text));
      // Priors: the fused rank; a section that asks the same kind of question (MedQuAD's "What are
      // the symptoms of …"); sentences early in a passage (sources lead with their answer).
      let score = 0.6 / (1 + rank) + (sectionFits ? 1 : 0) + 0.4 / (1 + position) - (offTopic ? 0.5 : 0);
      if (answersType(text, type)) score += 0.6;
      if (defining && DEFINITION.test(text)) score += 0.8;
      candidates.push({ passage: p.n, position, text, words, score });
    });
  });

  // Rarer question words count more: every candidate mentions "gout", few mention "colchicine".
  const df = new Map<string, number>();
  for (const c of candidates) for (const t of questionTerms) if (c.words.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
  const totalIdf = [...questionTerms].reduce((sum, t) => sum + idf(df.get(t) ?? 0, candidates.length), 0) || 1;
  for (const c of candidates) {
    let overlap = 0;
    for (const t of questionTerms) if (c.words.has(t)) overlap += idf(df.get(t) ?? 0, candidates.length);
    c.score += (2 * overlap) / totalIdf;
  }

  const relevant = candidates.filter((c) => [...questionTerms].some((t) => c.words.has(t)) || c.passage === passages[0]?.n);
  const chosen: Candidate[] = [];
  let chars = 0;
  for (const c of [...relevant].sort((a, b) => b.score - a.score || a.passage - b.passage || a.position - b.position)) {
    if (chosen.length >= maxSentences) break;
    if (chars + c.text.length > maxChars && chosen.length > 0) continue;
    if (chosen.some((d) => jaccard(c.words, d.words) > redundancy)) continue;
    chosen.push(c);
    chars += c.text.length;
  }
  if (chosen.length === 0) return { text: '', type, cited: [], sentences: 0 };

  // Passage order, then reading order inside a passage: each source reads as it was written.
  const order = new Map(passages.map((p, i) => [p.n, i]));
  chosen.sort((a, b) => order.get(a.passage)! - order.get(b.passage)! || a.position - b.position);
  const parts: string[] = [];
  const cited: number[] = [];
  chosen.forEach((c, i) => {
    const next = chosen[i + 1];
    // One marker per run of sentences from the same passage, after its last sentence.
    const marker = next?.passage === c.passage ? '' : ` [${c.passage}]`;
    if (!cited.includes(c.passage)) cited.push(c.passage);
    parts.push(withMarker(c.text, marker));
  });
  const chinese = parts.some((p) => /[\u4e00-\u9fff]/.test(p));
  return { text: parts.join(chinese ? '' : ' '), type, cited, sentences: chosen.length };
}

/**
 * Orders retrieved passages for an extractive answer of `type`: the fused rank, with passages whose
 * section asks the same kind of question (MedQuAD's "What are the symptoms of …") moved up, and
 * keeps the best `k`. Sections about ongoing research sink: they describe studies, not answers.
 *
 * @example
 * const best = rankPassagesForType(result.hits, 'symptoms', 5);
 */
export function rankPassagesForType<T extends { section: string }>(passages: readonly T[], type: QuestionType, k: number): T[] {
  return passages
    .map((p, rank) => ({
      p,
      score: 1 / (1 + rank) + (sectionMatchesType(p.section, type) ? 0.6 : 0) - (RESEARCH.test(p.section) ? 0.4 : 0),
    }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((x) => x.p);
}

function usable(sentence: string): boolean {
  const trimmed = sentence.trim();
  if (/[?？]$/.test(trimmed)) return false;
  const chinese = /[\u4e00-\u9fff]/.test(trimmed);
  if (chinese ? trimmed.length < 6 : trimmed.split(/\s+/).length < 4) return false;
  if (trimmed.length > 700) return false;
  return !BOILERPLATE.test(trimmed) && !INSTRUCTION_TO_MODEL.test(trimmed);
}

/** Puts the marker before the sentence's final punctuation: "… joints [1]." */
function withMarker(sentence: string, marker: string): string {
  if (!marker) return sentence;
  const m = /([.!?。！？]["')\]]?)$/.exec(sentence);
  return m ? `${sentence.slice(0, m.index)}${marker}${m[1]}` : `${sentence}${marker}`;
}

function idf(df: number, n: number): number {
  return Math.log(1 + (n + 1) / (df + 1));
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return both / (a.size + b.size - both);
}
