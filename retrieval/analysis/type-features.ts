import { ruleTypes } from './question-type.js';
import { words } from './words.js';

/** The placeholder that stands for the question's focus, so the recogniser learns the asking words, not the diseases. */
export const FOCUS_PLACEHOLDER = 'focusterm';

/**
 * The features the question-type recogniser reads: word unigrams and bigrams (the focus replaced by
 * a placeholder), five-letter prefixes of longer words ("diagnosed" and "diagnosis" share
 * `p:diagn`), and which keyword rules match (`r:<type>`). Distinct, in first-seen order.
 *
 * @example
 * typeFeatures('How is gout treated?', ['gout']) // → ['w:how', 'b:^_how', 'w:is', …, 'r:treatment']
 */
export function typeFeatures(text: string, focusTexts: readonly string[] = []): string[] {
  let masked = text.normalize('NFKC').toLowerCase();
  for (const focus of [...focusTexts].sort((a, b) => b.length - a.length)) {
    const f = focus.toLowerCase().trim();
    if (f.length >= 2) masked = masked.split(f).join(` ${FOCUS_PLACEHOLDER} `);
  }
  masked = masked.replace(/[ \t]+/g, ' ');
  const features = new Set<string>();
  for (const sentence of masked.split(/[.?!\n;。？！；]+/)) {
    let previous = '^';
    for (const w of words(sentence)) {
      features.add(`w:${w}`);
      features.add(`b:${previous}_${w}`);
      if (w.length > 5) features.add(`p:${w.slice(0, 5)}`);
      previous = w;
    }
  }
  for (const type of ruleTypes(masked)) features.add(`r:${type}`);
  return [...features];
}
