import { readFile } from 'node:fs/promises';
import type { KnowledgeStore } from '../../knowledge/index.js';
import { EvaluationError } from './errors.js';
import type { EvalQuestion } from './eval-set.js';
import { evenSample } from '../vector/index.js';

/**
 * PubMedQA's expert-labelled development questions, each relevant to its own abstract
 * (`PMID_<pmid>`, the citation id the `pubmedqa` format gives every chunk of an abstract).
 *
 * @example
 * const questions = await pubmedqaDevQuestions('../shared/data/pubmedqa/pqal_dev.json'); // 500 questions
 */
export async function pubmedqaDevQuestions(devFile: string): Promise<EvalQuestion[]> {
  let dev: Record<string, { QUESTION?: unknown }>;
  try {
    dev = JSON.parse(await readFile(devFile, 'utf8')) as Record<string, { QUESTION?: unknown }>;
  } catch (error) {
    throw new EvaluationError('SET_NOT_FOUND', `Cannot read PubMedQA dev questions from ${devFile}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return Object.entries(dev)
    .filter(([pmid, v]) => /^\d+$/.test(pmid) && typeof v.QUESTION === 'string' && v.QUESTION.trim())
    .map(([pmid, v]) => ({ id: `pubmedqa-${pmid}`, question: (v.QUESTION as string).trim(), relevant: [`PMID_${pmid}`] }));
}

/**
 * How a question of each MedQuAD question type is re-asked, worded unlike MedQuAD's own templates
 * ("What are the symptoms of X?"), so the set measures matching meaning rather than the template
 * words BM25 finds in the stored question.
 */
export const MEDQUAD_PARAPHRASES: Readonly<Record<string, (focus: string) => string>> = {
  information: (f) => `Can you explain what ${f} is?`,
  symptoms: (f) => `What signs would someone with ${f} notice?`,
  treatment: (f) => `How do doctors manage ${f}?`,
  inheritance: (f) => `Can ${f} be passed down from parents to their children?`,
  frequency: (f) => `How common is ${f}?`,
  'genetic changes': (f) => `Which gene mutations lead to ${f}?`,
  causes: (f) => `Why does a person get ${f}?`,
  'exams and tests': (f) => `How can a doctor tell that someone has ${f}?`,
  outlook: (f) => `What is the prognosis for someone with ${f}?`,
  research: (f) => `What studies are looking into ${f}?`,
  susceptibility: (f) => `Who is most likely to develop ${f}?`,
  prevention: (f) => `How can I lower my chance of getting ${f}?`,
  complications: (f) => `What problems can ${f} lead to?`,
  stages: (f) => `How is the extent of ${f} described?`,
};

/** Options of {@link medquadParaphraseQuestions}. */
export interface MedquadParaphraseOptions {
  /** The MedQuAD source in the store. Default `medquad`. */
  source?: string;
  /** Questions wanted, spread evenly over the (subject, question type) pairs. Default 500. */
  count?: number;
}

/**
 * A MedQuAD paraphrase set: for answered (subject, question type) pairs of the MedQuAD source,
 * the question re-asked with {@link MEDQUAD_PARAPHRASES}; relevant are all answered sections of
 * that subject and type (MedQuAD repeats subjects across its NIH collections). Deterministic:
 * pairs are sorted by question type and subject, and every n-th taken.
 *
 * @example
 * const questions = medquadParaphraseQuestions(store, { count: 500 });
 * // → [{ id: 'medquad-causes-…', question: 'Why does a person get gout?', relevant: ['GARD_0002606_Sec3', …] }, …]
 */
export function medquadParaphraseQuestions(store: KnowledgeStore, options: MedquadParaphraseOptions = {}): EvalQuestion[] {
  const count = options.count ?? 500;
  const groups = new Map<string, { focus: string; qtype: string; relevant: Set<string> }>();
  for (const doc of store.documents(options.source ?? 'medquad')) {
    const focus = typeof doc.metadata?.focus === 'string' ? doc.metadata.focus.trim() : '';
    if (!focus || focus.length > 80) continue;
    for (const section of doc.sections) {
      const qtype = typeof section.metadata?.qtype === 'string' ? section.metadata.qtype : '';
      if (!section.text.trim() || !section.externalId || !(qtype in MEDQUAD_PARAPHRASES)) continue;
      const key = `${qtype}\u0000${focus.toLowerCase()}`;
      const group = groups.get(key) ?? { focus, qtype, relevant: new Set<string>() };
      group.relevant.add(section.externalId);
      groups.set(key, group);
    }
  }
  const keys = [...groups.keys()].sort();
  const picked = evenSample(keys.length, count).map((i) => keys[i]!);
  return picked.map((key) => {
    const g = groups.get(key)!;
    const slug = g.focus
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    return {
      id: `medquad-${g.qtype.replace(/ /g, '-')}-${slug}`,
      question: MEDQUAD_PARAPHRASES[g.qtype]!(g.focus),
      relevant: [...g.relevant].sort(),
    };
  });
}
