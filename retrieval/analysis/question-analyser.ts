import type { KnowledgeStore } from '../../knowledge/index.js';
import type { AnalysedQuestion, FocusEntity } from './analysed-question.js';
import { withPreviousTurn } from './follow-up.js';
import { detectLanguage } from './language.js';
import { QueryNormalizer } from './query-normalizer.js';
import { classifyQuestionTypes } from './question-type.js';

/** How a question arrived. */
export interface AnalyseOptions {
  /** Earlier user turns of the conversation, oldest first; a bare follow-up borrows the last one. */
  previousTurns?: readonly string[];
}

/** The parts an analyser uses. */
export interface QuestionAnalyserParts {
  /** Query rewriting and focus synonyms. */
  normalizer: QueryNormalizer;
}

/**
 * Question → {@link AnalysedQuestion}: language, focus entities in the corpus's vocabulary, question
 * types, core question, and the text to search.
 *
 * @example
 * const analyser = QuestionAnalyser.fromStore(store);
 * analyser.analyse('What are the symptoms of gout?').types // → ['symptoms']
 */
export class QuestionAnalyser {
  constructor(private readonly parts: QuestionAnalyserParts) {}

  /** An analyser over the store's vocabulary (MedQuAD focus synonyms and "Also called" lists). */
  static fromStore(store: KnowledgeStore): QuestionAnalyser {
    return new QuestionAnalyser({ normalizer: QueryNormalizer.fromStore(store) });
  }

  analyse(question: string, options: AnalyseOptions = {}): AnalysedQuestion {
    const coreQuestion = question.trim();
    const searched = withPreviousTurn(coreQuestion, options.previousTurns);
    const expanded = this.parts.normalizer.expand(searched);
    const focus: FocusEntity[] = [];
    for (const s of expanded.synonyms) if (!focus.some((f) => f.name === s.name)) focus.push({ text: s.text, name: s.name });
    return {
      language: detectLanguage(coreQuestion),
      focus,
      types: typesOf(coreQuestion, searched),
      coreQuestion,
      standalone: searched,
      query: expanded.query,
    };
  }
}

/** The types the question asks; a bare follow-up ("and what else?") takes the earlier turn's. */
function typesOf(question: string, searched: string) {
  const own = classifyQuestionTypes(question);
  return own[0] === 'general' && searched !== question ? classifyQuestionTypes(searched) : own;
}
