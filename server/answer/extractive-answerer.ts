import { interactionNotCovered, nearMissLead, notCoveredAnswer, notSaid } from './abstention.js';
import type { AnswerPlan } from './answer-plan.js';
import { differentialClose, differentialLead } from './differential.js';
import type { AnswerLanguage } from './disclaimer.js';

/**
 * Writes a planned answer without a generative model, one piece at a time (so it can be streamed
 * as it is written): for each question type in turn a paragraph of the quoted sentences as their
 * source wrote them, each run of sentences from one passage followed by its `[n]` (n = the
 * passage's place in `plan.passages`, so citations are numbered 1..n by first use); near misses and
 * unanswered types say so first; an abstaining plan says plainly that the sources do not cover the
 * question and cites nothing.
 *
 * @example
 * for (const piece of writeExtractiveAnswer(plan, 'en')) process.stdout.write(piece);
 * // 'Gout is a form of arthritis that causes sudden onset of intense pain … [1].'
 */
export function* writeExtractiveAnswer(plan: AnswerPlan, language: AnswerLanguage): Generator<string, void, undefined> {
  const space = language === 'zh' ? '' : ' ';
  if (plan.abstain) {
    const interaction = plan.parts.find((p) => p.note?.kind === 'interaction-not-covered')?.note;
    yield interaction?.kind === 'interaction-not-covered'
      ? interactionNotCovered(language, interaction.pair.a, interaction.pair.b)
      : notCoveredAnswer(language);
    return;
  }
  let first = true;
  for (const part of plan.parts) {
    const paragraph: string[] = [];
    const note = part.note;
    if (note?.kind === 'near-miss') paragraph.push(nearMissLead(language, note.subject, part.type, note.described));
    else if (note?.kind === 'not-said') paragraph.push(notSaid(language, note.subject, part.type));
    else if (note?.kind === 'differential') paragraph.push(differentialLead(language, note.symptoms, note.conditions));
    for (const quote of part.quotes) {
      quote.sentences.forEach((sentence, i) => {
        const markers = [quote.passage, ...(quote.also ?? [])].map((n) => `[${n + 1}]`).join('');
        paragraph.push(i === quote.sentences.length - 1 ? withMarker(sentence, ` ${markers}`) : sentence);
      });
    }
    if (note?.kind === 'differential') paragraph.push(differentialClose(language));
    for (let i = 0; i < paragraph.length; i++) {
      const lead = i === 0 ? (first ? '' : '\n\n') : space;
      yield `${lead}${paragraph[i]}`;
    }
    if (paragraph.length) first = false;
  }
}

/** Puts the marker before the sentence's final punctuation: "… joints [1]." */
function withMarker(sentence: string, marker: string): string {
  const m = /([.!?。！？；]["')\]」”]?)$/.exec(sentence);
  return m ? `${sentence.slice(0, m.index)}${marker}${m[1]}` : `${sentence}${marker}`;
}
