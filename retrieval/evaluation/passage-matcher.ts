/** A corpus passage an answer text can be found in. */
export interface MatchablePassage {
  /** Citation id (`GARD_0002606_Sec2`). */
  id: string;
  /** The document it belongs to (`GARD_0002606`). */
  documentId: string;
  text: string;
}

/** How much of an answer a passage holds. */
export interface PassageMatch {
  id: string;
  documentId: string;
  /** Share of the answer's word 5-grams found in the passage (0–1). */
  answerContained: number;
  /** Share of the passage's word 5-grams found in the answer (0–1): high when the answer quotes the whole passage and more. */
  passageContained: number;
}

const N = 5;

/** Lower-cased word tokens; punctuation and markup differences between copies of a text do not matter. */
export function matchWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function shingles(words: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + N <= words.length; i++) out.add(words.slice(i, i + N).join(' '));
  return out;
}

/**
 * Finds which corpus passages hold given answer texts, by word 5-gram containment (the reference
 * answers of LiveQA and CHiQA are excerpts of NIH pages, MedQuAD holds the same pages cut into
 * question–answer pairs, and the copies differ in spacing, bullets and punctuation). Answers are
 * indexed, passages streamed past them once, so matching many answers costs one pass over the corpus.
 *
 * @example
 * const matches = matchAnswers(['Gout is a kind of arthritis …'], passages)[0];
 * // → [{ id: 'GHR_0000419_Sec1', answerContained: 0.97, passageContained: 0.4, … }]
 */
export function matchAnswers(answers: readonly string[], passages: Iterable<MatchablePassage>, minContained = 0.2): PassageMatch[][] {
  const answerShingles = answers.map((a) => shingles(matchWords(a)));
  const index = new Map<string, number[]>();
  answerShingles.forEach((set, i) => {
    for (const s of set) {
      const at = index.get(s);
      if (at) at.push(i);
      else index.set(s, [i]);
    }
  });
  const results: PassageMatch[][] = answers.map(() => []);
  for (const passage of passages) {
    const own = shingles(matchWords(passage.text));
    if (own.size === 0) continue;
    const counts = new Map<number, number>();
    for (const s of own) for (const i of index.get(s) ?? []) counts.set(i, (counts.get(i) ?? 0) + 1);
    for (const [i, count] of counts) {
      const answerContained = count / answerShingles[i]!.size;
      const passageContained = count / own.size;
      if (answerContained >= minContained || passageContained >= 0.6)
        results[i]!.push({ id: passage.id, documentId: passage.documentId, answerContained, passageContained });
    }
  }
  return results;
}
