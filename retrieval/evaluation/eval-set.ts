import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { EvaluationError } from './errors.js';

/** Which part of a set a question belongs to: tune on `dev`, report `heldout` (never tuned on). */
export const EvalSplit = z.enum(['dev', 'heldout']);
export type EvalSplit = z.infer<typeof EvalSplit>;

/**
 * One evaluation question: its text and the citation ids (`externalId`s: `PMID_10173769`,
 * `GHR_0000804_Sec2`) of the chunks that answer it. A hit is relevant when its `externalId` is
 * listed; an id found several times (an abstract split into chunks) counts once, at its best rank.
 * Graded sets also give `grades`: a judged grade per id on CHiQA's scale (4 excellent, 3 correct
 * but incomplete, 2 related, 1 incorrect; unjudged ids count as 1), `relevant` then lists the
 * ids graded 3 or 4; and `split`, fixed by the builder.
 */
export const EvalQuestion = z.object({
  id: z.string().min(1),
  question: z.string(),
  relevant: z.array(z.string().min(1)).min(1),
  grades: z.record(z.string().min(1), z.number().int().min(1).max(4)).optional(),
  split: EvalSplit.optional(),
});
export type EvalQuestion = z.infer<typeof EvalQuestion>;

/** An evaluation set: a name (the file's) and its questions, in file order. */
export interface EvalSet {
  name: string;
  questions: EvalQuestion[];
}

/**
 * Reads an evaluation set: JSONL, one {@link EvalQuestion} per line (blank lines ignored).
 * Throws `SET_NOT_FOUND` for a missing file and `INVALID_SET` naming the first bad line.
 *
 * @example
 * const set = await loadEvalSet('retrieval/evaluation/sets/pubmedqa-dev.jsonl');
 * set.questions[0] // → { id: 'pubmedqa-10173769', question: 'Longer term quality of life …', relevant: ['PMID_10173769'] }
 */
export async function loadEvalSet(file: string): Promise<EvalSet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new EvaluationError('SET_NOT_FOUND', `Cannot read the evaluation set ${file}: ${(error as Error).message}`, { cause: error });
  }
  const questions: EvalQuestion[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new EvaluationError('INVALID_SET', `${file}:${i + 1}: not JSON.`);
    }
    const parsed = EvalQuestion.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new EvaluationError('INVALID_SET', `${file}:${i + 1}: ${issue.path.join('.') || 'line'}: ${issue.message}.`);
    }
    if (ids.has(parsed.data.id))
      throw new EvaluationError('INVALID_SET', `${file}:${i + 1}: duplicate id ${JSON.stringify(parsed.data.id)}.`);
    ids.add(parsed.data.id);
    questions.push(parsed.data);
  });
  if (questions.length === 0) throw new EvaluationError('INVALID_SET', `${file} holds no questions.`);
  const name = file.replace(/^.*[\\/]/, '').replace(/\.jsonl$/i, '');
  return { name, questions };
}

/**
 * Serialises questions as the JSONL {@link loadEvalSet} reads.
 *
 * @example
 * writeFileSync('set.jsonl', formatEvalSet([{ id: 'q1', question: 'What causes gout?', relevant: ['GARD_0002606_Sec3'] }]));
 */
export function formatEvalSet(questions: readonly EvalQuestion[]): string {
  return (
    questions
      .map((q) =>
        JSON.stringify({
          id: q.id,
          ...(q.split ? { split: q.split } : {}),
          question: q.question,
          relevant: q.relevant,
          ...(q.grades ? { grades: q.grades } : {}),
        }),
      )
      .join('\n') + '\n'
  );
}
