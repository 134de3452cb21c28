import type { KnowledgeStore } from '../../knowledge/index.js';
import type { JudgedQuestion, LiveQaQuestion } from './consumer-qa-files.js';
import type { EvalQuestion, EvalSplit } from './eval-set.js';
import { type MatchablePassage, matchAnswers } from './passage-matcher.js';

/** Share of questions in the `dev` split; the rest is `heldout`. */
export const DEV_SHARE = 0.6;

/**
 * The split of a question, fixed by a hash of its id (FNV-1a), so it never changes when a set is
 * rebuilt, reordered or grows.
 *
 * @example
 * splitOf('liveqa1-Q12') // → 'dev' or 'heldout', always the same one
 */
export function splitOf(id: string): EvalSplit {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 1000 < DEV_SHARE * 1000 ? 'dev' : 'heldout';
}

/** The answered passages of a source, for matching. */
export function sourcePassages(store: KnowledgeStore, source = 'medquad'): MatchablePassage[] {
  const out: MatchablePassage[] = [];
  for (const doc of store.documents(source))
    for (const section of doc.sections)
      if (section.text.trim() && section.externalId) out.push({ id: section.externalId, documentId: doc.externalId, text: section.text });
  return out;
}

/** A passage holding most of a reference answer (or an answer quoting most of the passage) answers the question. */
const FULL = 0.6;
/** A passage holding a good part of it answers in part. */
const PART = 0.25;
/** An answer found in more documents than this is boilerplate there, and left out. */
const MAX_DOCUMENTS = 5;

/**
 * LiveQA training questions whose reference answers are found in corpus passages (word 5-gram
 * containment): a passage holding ≥ 60 % of a sub-question's reference answer, or quoted ≥ 60 % by
 * it, is graded 4; one holding ≥ 25 % is graded 3; an answer found in more than five documents is boilerplate and
 * left out. The other answered passages of a document graded 3 or 4 are graded 2 (same subject, other aspect). Questions with no passage graded 3 or
 * more are left out. Ids `liveqa1-Q12` / `liveqa2-12`, split by {@link splitOf}.
 *
 * @example
 * const set = liveQaQuestions([...file1, ...file2], sourcePassages(store)); // about 300 questions
 */
export function liveQaQuestions(questions: readonly LiveQaQuestion[], passages: readonly MatchablePassage[]): EvalQuestion[] {
  const answers: Array<{ q: number; text: string }> = [];
  questions.forEach((question, q) => {
    for (const sub of question.subQuestions) for (const text of sub.answers) answers.push({ q, text });
  });
  const matches = matchAnswers(
    answers.map((a) => a.text),
    passages,
    PART,
  );
  const grades = questions.map(() => new Map<string, number>());
  const documents = questions.map(() => new Set<string>());
  matches.forEach((found, i) => {
    const g = grades[answers[i]!.q]!;
    // An answer found in many documents is their boilerplate ("tell your doctor if you are pregnant…",
    // GHR's page on inheritance patterns): it cannot say which subject answers.
    if (new Set(found.map((m) => m.documentId)).size > MAX_DOCUMENTS) return;
    for (const m of found) {
      const grade = m.answerContained >= FULL || m.passageContained >= FULL ? 4 : m.answerContained >= PART ? 3 : 0;
      if (grade && grade > (g.get(m.id) ?? 0)) g.set(m.id, grade);
      if (grade) documents[answers[i]!.q]!.add(m.documentId);
    }
  });
  for (const p of passages)
    questions.forEach((_, q) => {
      if (documents[q]!.has(p.documentId) && !grades[q]!.has(p.id)) grades[q]!.set(p.id, 2);
    });
  return gradedQuestions(
    questions.map((q) => ({ id: q.id, question: q.question })),
    grades,
  );
}

/**
 * CHiQA's judged answers found in corpus passages: a passage holding ≥ 50 % of a judged answer's
 * text (its "Title (Section):" lead removed) takes that answer's ReferenceScore (the best when
 * several answers land on it). Questions with no passage graded 3 or more are left out. Ids
 * `chiqa-alexa-1` / `chiqa-validation-3`, split by {@link splitOf}.
 *
 * @example
 * const set = judgedAnswerQuestions(await readJudgedAnswers(file, 'chiqa-alexa'), sourcePassages(store));
 */
export function judgedAnswerQuestions(questions: readonly JudgedQuestion[], passages: readonly MatchablePassage[]): EvalQuestion[] {
  const answers: Array<{ q: number; score: number; text: string }> = [];
  questions.forEach((question, q) => {
    for (const a of question.answers) if (a.score >= 1) answers.push({ q, score: a.score, text: withoutLead(a.text) });
  });
  const matches = matchAnswers(
    answers.map((a) => a.text),
    passages,
    0.5,
  );
  const grades = questions.map(() => new Map<string, number>());
  matches.forEach((found, i) => {
    const { q, score } = answers[i]!;
    for (const m of found) if (m.answerContained >= 0.5 && score > (grades[q]!.get(m.id) ?? 0)) grades[q]!.set(m.id, score);
  });
  return gradedQuestions(questions, grades);
}

/** CHiQA prefixes each answer with its page title and section ("Idiopathic achalasia (Treatment): …"). */
function withoutLead(text: string): string {
  const colon = text.indexOf(': ');
  return colon > 0 && colon < 160 ? text.slice(colon + 2) : text;
}

function gradedQuestions(
  questions: ReadonlyArray<{ id: string; question: string }>,
  grades: ReadonlyArray<Map<string, number>>,
): EvalQuestion[] {
  const out: EvalQuestion[] = [];
  questions.forEach((q, i) => {
    const graded = [...grades[i]!].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const relevant = graded.filter(([, g]) => g >= 3).map(([id]) => id);
    if (!relevant.length || !q.question) return;
    out.push({ id: q.id, split: splitOf(q.id), question: q.question, relevant, grades: Object.fromEntries(graded) });
  });
  return out;
}
