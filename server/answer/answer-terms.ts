import { stemmer } from 'stemmer';

// Function words and question scaffolding: they say nothing about which sentence answers.
const STOPWORDS = new Set(
  `a about above after again all am an and any are as at be because been before being below between both but by can could did
  do does doing down during each few for from further had has have having he her here him his how i if in into is it its just
  me more most my no nor not now of off on once only or other our out over own same she should so some such than that the their
  them then there these they this those through to too under until up very was we were what when where which while who whom why
  will with would you your also may might must get got im ive dont cant please hi hello dear doctor thanks thank know tell
  much many way ways get help`.split(/\s+/),
);

/**
 * The content terms of a text for matching sentences to a question: Porter-stemmed English words
 * (stopwords dropped) and Chinese character bigrams.
 *
 * @example
 * answerTerms('What are the symptoms of gout?') // → ['symptom', 'gout']
 */
export function answerTerms(text: string): string[] {
  const lower = text.normalize('NFKC').toLowerCase();
  const terms: string[] = [];
  for (const word of lower.match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []) {
    if (/[\u4e00-\u9fff]/.test(word)) {
      const han = [...word.replace(/[^\u4e00-\u9fff]/g, '')];
      for (let i = 0; i + 1 < han.length; i++) terms.push(han[i]! + han[i + 1]!);
      if (han.length === 1) terms.push(han[0]!);
      continue;
    }
    const w = word.replace(/'s$/, '').replace(/'/g, '');
    if (w.length < 2 || STOPWORDS.has(w)) continue;
    terms.push(stemmer(w));
  }
  return terms;
}
