import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PACKAGE_ROOT } from '../../knowledge/index.js';
import { CONSUMER_SETS, EvaluationError, loadEvalSet, type EvalSplit } from '../../retrieval/evaluation/index.js';

/** One question an answer is judged on: answerable (with the passages that answer it) or not. */
export interface AnswerEvalQuestion {
  id: string;
  question: string;
  /** False for a question Galen's corpus cannot answer: the right answer abstains. */
  answerable: boolean;
  /** Citation ids of passages that answer it (empty for unanswerable ones). */
  relevant: string[];
  split?: EvalSplit;
}

/** A named list of questions. */
export interface AnswerEvalSet {
  name: string;
  questions: AnswerEvalQuestion[];
}

/** The versioned list of questions the seed corpus cannot answer (English and Chinese; each checked against the corpus). */
export const UNANSWERABLE_SET = join(PACKAGE_ROOT, 'server', 'eval', 'sets', 'unanswerable-questions.jsonl');

/** The default sets of `galen eval answers`: the consumer-question dev sets (answerable) and the unanswerable list. */
export const ANSWER_SETS: readonly string[] = [...CONSUMER_SETS, UNANSWERABLE_SET];

const UnanswerableQuestion = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  answerable: z.literal(false).optional(),
  language: z.enum(['en', 'zh']).optional(),
  kind: z.string().optional(),
  split: z.enum(['dev', 'heldout']).optional(),
});

/**
 * Reads an answer evaluation set (JSONL): lines with `relevant` ids are answerable questions (the
 * retrieval sets' format, `loadEvalSet`); lines without, or with `"answerable": false`, are
 * questions the corpus cannot answer.
 *
 * @example
 * const set = await loadAnswerSet(UNANSWERABLE_SET); // → { name: 'unanswerable-questions', questions: [{ id: 'unanswerable-bicycle-tyre', answerable: false, … }] }
 */
export async function loadAnswerSet(file: string): Promise<AnswerEvalSet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new EvaluationError('SET_NOT_FOUND', `Cannot read the evaluation set ${file}: ${(error as Error).message}`, { cause: error });
  }
  const lines = text.split('\n').filter((l) => l.trim());
  const answerable = lines.some((l) => /"relevant"\s*:/.test(l) && !/"answerable"\s*:\s*false/.test(l));
  if (answerable) {
    const set = await loadEvalSet(file);
    return {
      name: set.name,
      questions: set.questions.map((q) => ({
        id: q.id,
        question: q.question,
        answerable: true,
        relevant: q.relevant,
        ...(q.split ? { split: q.split } : {}),
      })),
    };
  }
  const questions = lines.map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new EvaluationError('INVALID_SET', `${file}:${i + 1}: not JSON.`);
    }
    const parsed = UnanswerableQuestion.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new EvaluationError('INVALID_SET', `${file}:${i + 1}: ${issue.path.join('.') || 'line'}: ${issue.message}.`);
    }
    const q = parsed.data;
    return { id: q.id, question: q.question, answerable: false, relevant: [], ...(q.split ? { split: q.split } : {}) };
  });
  if (questions.length === 0) throw new EvaluationError('INVALID_SET', `${file} holds no questions.`);
  return { name: file.replace(/^.*[\\/]/, '').replace(/\.jsonl$/i, ''), questions };
}
