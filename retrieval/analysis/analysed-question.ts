import type { CandidateCondition } from './condition-finder.js';
import type { QuestionLanguage } from './language.js';
import type { QuestionType } from './question-type.js';

/** A thing a question is about, resolved to the corpus's own vocabulary. */
export interface FocusEntity {
  /** The words of the question it was recognised from, as written (lower-cased). */
  text: string;
  /** The corpus's name for it (e.g. MedQuAD's focus "Monkeypox"). */
  name: string;
  /** What kind of thing it is, when the corpus says (e.g. `disease`, `drug`, `symptom`). */
  kind?: string;
  /** Its UMLS concept id, when the corpus metadata carries one. */
  cui?: string;
  /** How it was recognised: the corpus's `name`, one of its `synonym`s, a `lay` or renamed term, or a respelt misspelling (`spelling`). */
  match?: 'name' | 'synonym' | 'lay' | 'spelling';
}

/** What retrieval understood of a question; returned with the retrieval results so answering reuses it. */
export interface AnalysedQuestion {
  language: QuestionLanguage;
  /** The entities the question is about, in the order they appear; empty when none is recognised. */
  focus: FocusEntity[];
  /** The question types asked, most likely first; `['general']` when none is recognised. */
  types: QuestionType[];
  /** The sentence(s) of the message that ask, without greetings and background. */
  coreQuestion: string;
  /** The question standing alone: the core question, with the previous turn in front for a bare follow-up. */
  standalone: string;
  /** The text searched: the core question (with the previous turn for a bare follow-up) and the corpus names and expansions it adds. */
  query: string;
  /** The symptoms the message describes (the corpus's names for them), when it describes any. */
  symptoms?: string[];
  /**
   * For a message that describes symptoms without naming its disease: the conditions the corpus
   * lists with those symptoms, likeliest first. Their names are searched too.
   */
  candidateConditions?: CandidateCondition[];
}
