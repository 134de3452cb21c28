import type { QuestionType } from '../../retrieval/analysis/index.js';

// MedQuAD's own section questions: a search for one finds the subject's section of that type.
const TEMPLATES: Partial<Record<QuestionType, (subject: string) => string>> = {
  symptoms: (s) => `What are the symptoms of ${s} ?`,
  causes: (s) => `What causes ${s} ?`,
  treatment: (s) => `What are the treatments for ${s} ?`,
  diagnosis: (s) => `How to diagnose ${s} ?`,
  prevention: (s) => `How to prevent ${s} ?`,
  outlook: (s) => `What is the outlook for ${s} ?`,
  inheritance: (s) => `Is ${s} inherited ?`,
  risk: (s) => `Who is at risk for ${s}? ?`,
  complications: (s) => `What are the complications of ${s} ?`,
  frequency: (s) => `How many people are affected by ${s} ?`,
  definition: (s) => `What is (are) ${s} ?`,
  'genetic-changes': (s) => `What are the genetic changes related to ${s} ?`,
  dosage: (s) => `How should ${s} be used and what is the dosage ?`,
  usage: (s) => `How should ${s} be used and what is the dosage ?`,
  'side-effects': (s) => `What are the side effects or risks of ${s} ?`,
  precautions: (s) => `What special precautions should I follow with ${s} ?`,
};

/**
 * The corpus's own question for a subject's section of a type ("What are the symptoms of Stroke ?"),
 * or undefined for types the corpus has no section for.
 *
 * @example
 * sectionQuestion('symptoms', 'Stroke') // → 'What are the symptoms of Stroke ?'
 */
export function sectionQuestion(type: QuestionType, subject: string): string | undefined {
  return TEMPLATES[type]?.(subject);
}
