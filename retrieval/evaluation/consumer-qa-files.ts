import { readFile } from 'node:fs/promises';
import { XMLParser } from 'fast-xml-parser';
import { EvaluationError } from './errors.js';

/** A LiveQA medical training question: the message as sent, its annotated sub-questions and their reference answers. */
export interface LiveQaQuestion {
  /** `liveqa1-Q12` (file 1) or `liveqa2-12` (file 2). */
  id: string;
  /** Subject and message as one text, the way a consumer sent it. */
  question: string;
  subQuestions: Array<{ focus: string; type: string; answers: string[] }>;
}

/** A consumer question with the answers NLM's CHiQA system retrieved and their judged scores. */
export interface JudgedQuestion {
  /** `chiqa-alexa-1`, `chiqa-validation-3`. */
  id: string;
  question: string;
  /** ReferenceScore 4 excellent, 3 correct but incomplete, 2 related, 1 incorrect. */
  answers: Array<{ url: string; text: string; score: number }>;
}

type Node = Record<string, unknown>;
const ARRAYS = new Set(['NLM-QUESTION', 'SUB-QUESTION', 'ANSWER', 'Question', 'Answer', 'pair']);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

/** Parses an XML file of the consumer-qa folder. */
export async function readXml(file: string): Promise<Node> {
  let xml: string;
  try {
    xml = await readFile(file, 'utf8');
  } catch (error) {
    throw new EvaluationError('SET_NOT_FOUND', `Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parser.parse(xml) as Node;
}

/** The text of an element that may carry attributes. */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'object' && '#text' in (value as Node)) return String((value as Node)['#text']).trim();
  return typeof value === 'object' ? '' : String(value).trim();
}

function list(value: unknown): Node[] {
  if (Array.isArray(value)) return value as Node[];
  return value && typeof value === 'object' ? [value as Node] : [];
}

/**
 * Reads a LiveQA medical training file (`liveqa-medical-train-1.xml` or `-2.xml`); `tag` names
 * the file in question ids, which stay stable however the file is ordered.
 *
 * @example
 * const questions = await readLiveQa('../shared/data/consumer-qa/liveqa-medical-train-1.xml', 'liveqa1');
 * questions[0].subQuestions[0] // → { focus: 'cardiac amyloidosis', type: 'information', answers: ['Cardiac amyloidosis is …', …] }
 */
export async function readLiveQa(file: string, tag: string): Promise<LiveQaQuestion[]> {
  const root = (await readXml(file))['NLM-QUESTIONS'] as Node | undefined;
  return list(root?.['NLM-QUESTION']).map((q, i) => {
    const rawId = textOf(q['@questionid'] ?? q['@qid']) || String(i + 1);
    const subject = textOf(q.SUBJECT);
    const message = textOf(q.MESSAGE);
    const subs = list((q['SUB-QUESTIONS'] as Node | undefined)?.['SUB-QUESTION']).map((s) => {
      const annotations = (s.ANNOTATIONS ?? {}) as Node;
      return {
        focus: textOf(annotations.FOCUS),
        type: textOf(annotations.TYPE).toLowerCase(),
        answers: list((s.ANSWERS as Node | undefined)?.ANSWER)
          .map(textOf)
          .filter(Boolean),
      };
    });
    return {
      id: `${tag}-${rawId.replace(/\.0$/, '')}`,
      question: [subject, message].filter(Boolean).join('. ').replace(/\s+/g, ' ').trim(),
      subQuestions: subs,
    };
  });
}

/**
 * Reads a MEDIQA 2019 judged-answers file (`qa-judged-*.xml`).
 *
 * @example
 * const questions = await readJudgedAnswers('../shared/data/consumer-qa/qa-judged-alexa-mediqa2019.xml', 'chiqa-alexa');
 * questions[0] // → { id: 'chiqa-alexa-1', question: 'What is Flu?', answers: [{ url: 'https://medlineplus.gov/…', text: '…', score: 2 }, …] }
 */
export async function readJudgedAnswers(file: string, tag: string): Promise<JudgedQuestion[]> {
  const tree = await readXml(file);
  const root = Object.values(tree).find((v) => v && typeof v === 'object' && 'Question' in (v as Node)) as Node | undefined;
  return list(root?.Question).map((q, i) => ({
    id: `${tag}-${textOf(q['@QID']) || String(i + 1)}`,
    question: textOf(q.QuestionText).replace(/\s+/g, ' '),
    answers: list((q.AnswerList as Node | undefined)?.Answer).map((a) => ({
      url: textOf(a.AnswerURL),
      text: textOf(a.AnswerText),
      score: Number(textOf(a['@ReferenceScore'])) || 0,
    })),
  }));
}
