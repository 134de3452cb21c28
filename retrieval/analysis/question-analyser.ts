import type { KnowledgeStore } from '../../knowledge/index.js';
import type { AnalysedQuestion, FocusEntity } from './analysed-question.js';
import { ConditionFinder } from './condition-finder.js';
import { coreQuestion } from './core-question.js';
import { withPreviousTurn } from './follow-up.js';
import { loadFocusLexicon } from './focus-lexicon.js';
import { FocusResolver } from './focus-resolver.js';
import { detectLanguage } from './language.js';
import { LAY_TERMS } from './lay-terms.js';
import { QueryNormalizer } from './query-normalizer.js';
import { QuestionTypeModel } from './question-type-model.js';
import type { QuestionType } from './question-type.js';

/** How a question arrived. */
export interface AnalyseOptions {
  /** Earlier user turns of the conversation, oldest first; a bare follow-up borrows the last one. */
  previousTurns?: readonly string[];
}

/** The parts an analyser uses. */
export interface QuestionAnalyserParts {
  /** Query rewriting and focus synonyms. */
  normalizer: QueryNormalizer;
  /** Focus resolution over the corpus vocabulary; default the bundled lexicon ({@link bundledFocusResolver}). */
  focus?: FocusResolver;
  /** Further focus vocabulary (e.g. the store's own subjects), consulted after `focus`. */
  extraFocus?: () => FocusResolver;
  /** The question-type recogniser; default the bundled model ({@link QuestionTypeModel.load}). */
  types?: QuestionTypeModel;
  /** Symptoms → candidate conditions; default the bundled table ({@link ConditionFinder.load}). */
  conditions?: ConditionFinder;
}

/** Whether `narrow` is `broad` with more words ("Hiatal hernia" of "Hernia"). */
function narrowerName(narrow: string, broad: string): boolean {
  const words = (name: string) =>
    name
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean);
  const n = words(narrow);
  const b = words(broad);
  return n.length > b.length && b.every((w) => n.includes(w));
}

/** Abbreviations of measurements and signs, which name no subject. */
const NOT_SUBJECTS: ReadonlySet<string> = new Set(['bp', 'hr', 'sob']);

/** Whether a focus names a disease or drug (or a lay name of one), the subjects a question is asked about. */
function isSubject(f: FocusEntity): boolean {
  return f.kind === 'disease' || f.kind === 'drug' || f.kind === 'supplement' || f.match === 'lay';
}

let bundledResolver: FocusResolver | undefined;
let bundledTypes: QuestionTypeModel | undefined;
let bundledConditions: ConditionFinder | undefined;

/** The bundled symptom–condition table, loaded once per process. */
export function bundledConditionFinder(): ConditionFinder {
  bundledConditions ??= ConditionFinder.load();
  return bundledConditions;
}

/** A question that runs every part of the analysis once. */
const WARM_QUESTION = 'Hi doctor, my mother has diabetis and a headache for two days: what is the treatment?';

/** A core question that asks for help or information without saying which ("can you send some information?"), not "what is X?". */
const BARE_REQUEST =
  /^(?!.*\bwhat\s+(?:is|are)\b).*\b(?:help|information|info|anything|advice|advise|suggestions?|research|articles?|literature)\b/i;

/** Most question types a message is read as asking. */
const MAX_TYPES = 3;

/** Candidate conditions searched with a symptom description. */
const SEARCHED_CONDITIONS = 3;

/** The resolver over the bundled focus lexicon and lay terms, built once per process (about half a second). */
export function bundledFocusResolver(): FocusResolver {
  if (!bundledResolver) {
    const lexicon = loadFocusLexicon();
    bundledWords = lexicon.words;
    bundledResolver = new FocusResolver(lexicon.entries, lexicon.words, LAY_TERMS);
  }
  return bundledResolver;
}

let bundledWords: readonly string[] | undefined;

/** The correctly spelt words of the bundled lexicon: never respelt, whichever names a resolver knows. */
function bundledKnownWords(): readonly string[] {
  if (!bundledWords) bundledFocusResolver();
  return bundledWords!;
}

/** The bundled question-type model, loaded once per process. */
export function bundledTypeModel(): QuestionTypeModel {
  bundledTypes ??= QuestionTypeModel.load();
  return bundledTypes;
}

/**
 * Question → {@link AnalysedQuestion}: language, focus entities in the corpus's vocabulary
 * (misspellings and lay names resolved), the question types a learned recogniser finds, the core
 * question of a long message, and the text to search.
 *
 * @example
 * const analyser = QuestionAnalyser.fromStore(store);
 * analyser.analyse('what is mpox and how is it tested?').focus[0].name // → 'Monkeypox Virus Infections'
 */
export class QuestionAnalyser {
  private readonly focus: FocusResolver;
  private readonly types: QuestionTypeModel;
  private readonly conditions: ConditionFinder;
  private extra: FocusResolver | undefined;

  constructor(private readonly parts: QuestionAnalyserParts) {
    this.focus = parts.focus ?? bundledFocusResolver();
    this.types = parts.types ?? bundledTypeModel();
    this.conditions = parts.conditions ?? bundledConditionFinder();
  }

  /** An analyser over the bundled vocabulary plus the store's (its subjects, synonyms and "Also called" lists). */
  static fromStore(store: KnowledgeStore): QuestionAnalyser {
    return new QuestionAnalyser({
      normalizer: QueryNormalizer.fromStore(store),
      // With the bundled words as known: "crushing chest pain" is no misspelt "Cushing".
      // Names the bundled lexicon knows keep its phrases (compiled without everyday heads: "Eating Disorders" is no "eating").
      extraFocus: () =>
        new FocusResolver(
          store
            .focusTerms()
            .filter((name) => !bundledFocusResolver().knows(name))
            .map((name) => ({ name })),
          bundledKnownWords(),
        ),
    });
  }

  /** Builds what the first question would otherwise wait for (the store's names, the type model's first run). */
  warm(): void {
    this.analyse(WARM_QUESTION);
  }

  analyse(question: string, options: AnalyseOptions = {}): AnalysedQuestion {
    const message = question.trim();
    const core = coreQuestion(message);
    const searched = withPreviousTurn(core, options.previousTurns);
    // The whole message is searched (its background carries the subject's words; searching only the core
    // question lost hit@5 on ChatDoctor's symptom messages), the core question is what the answer addresses.
    const expanded = this.parts.normalizer.expand(withPreviousTurn(message, options.previousTurns));
    const focus = this.focusOf(searched, message);
    for (const s of expanded.synonyms)
      if (!focus.some((f) => f.name === s.name)) focus.push({ text: s.text, name: s.name, match: 'synonym' });
    const reading = this.conditions.read(message);
    // A description of symptoms names no disease of its own (a symptom the corpus has a page on is no diagnosis).
    const describesSymptoms =
      reading.symptoms.length > 0 &&
      !focus.some(
        (f) =>
          isSubject(f) &&
          f.kind !== 'drug' &&
          !this.conditions.isSymptom(f.name, reading.symptoms) &&
          !this.conditions.isSymptom(f.text, reading.symptoms),
      );
    const candidates = describesSymptoms ? reading.conditions : [];
    const lower = expanded.query.toLowerCase();
    const additions = [...focus.map((f) => f.name), ...candidates.slice(0, SEARCHED_CONDITIONS).map((c) => c.name)].filter(
      (name, i, all) => all.indexOf(name) === i && !lower.includes(name.toLowerCase()),
    );
    // The symptoms are searched with the candidates: a short core question ("what could it be?") drops them.
    const described = describesSymptoms ? reading.symptoms.filter((x) => !lower.includes(x.toLowerCase())) : [];
    const extra = [...described, ...additions];
    return {
      language: detectLanguage(message),
      focus,
      types: this.typesOf(core, searched, focus, message),
      coreQuestion: core,
      standalone: searched,
      query: extra.length ? `${expanded.query} ${extra.join(' ')}` : expanded.query,
      ...(reading.symptoms.length ? { symptoms: reading.symptoms } : {}),
      ...(candidates.length ? { candidateConditions: candidates } : {}),
    };
  }

  /**
   * The subjects of the asking sentences; when those name no disease or drug ("Can I exercise?"),
   * also the diseases and drugs the rest of the message names ("I had a heart attack last year"),
   * in message order. Other background words ("to honor his memory") stay out.
   */
  private focusOf(searched: string, message: string): FocusEntity[] {
    const said = this.resolveFocus(searched);
    if (message === searched) return said;
    const all = this.resolveFocus(message);
    // The rest of the message may name the asked subject more exactly: "correct my hernia" after "hiatal hernia".
    const asked = said
      .map((f) => (isSubject(f) ? (all.find((g) => isSubject(g) && narrowerName(g.name, f.name)) ?? f) : f))
      .filter((f, i, list) => list.findIndex((g) => g.name === f.name) === i);
    if (asked.some(isSubject)) return asked;
    const askedNames = new Set(asked.map((f) => f.name));
    const kept = all.filter((f) => askedNames.has(f.name) || isSubject(f));
    for (const f of asked) if (!kept.some((g) => g.name === f.name)) kept.push(f);
    return kept;
  }

  private resolveFocus(written: string): FocusEntity[] {
    // Subjects named by a clinical abbreviation are found by the name it stands for.
    const text = this.parts.normalizer.spellOut(written, NOT_SUBJECTS);
    const found = this.focus.resolve(text);
    if (this.parts.extraFocus) {
      this.extra ??= this.parts.extraFocus();
      for (const f of this.extra.resolve(text)) if (!found.some((g) => g.name.toLowerCase() === f.name.toLowerCase())) found.push(f);
    }
    return found;
  }

  /** The types the core question asks; a bare follow-up ("and what else?") takes the earlier turn's. */
  private typesOf(core: string, searched: string, focus: readonly FocusEntity[], message: string): QuestionType[] {
    const written = focus.map((f) => f.text);
    const own = this.types.classify(core, written);
    const types = own[0] === 'general' && searched !== core ? this.types.classify(searched, written) : own;
    // A bare request ("can you send some information?") asks what the message says it needs ("we
    // are looking for a drug that could help him"): those types follow what the subject is.
    if (message !== core && BARE_REQUEST.test(core) && types.every((t) => t === 'general' || t === 'definition')) {
      const said = this.types.classify(message, written).filter((t) => t !== 'general' && t !== 'definition');
      if (said.length) return [...types.filter((t) => t !== 'general'), ...said].slice(0, MAX_TYPES);
    }
    return types;
  }
}
