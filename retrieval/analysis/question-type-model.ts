import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../../knowledge/index.js';
import { questionClauses } from './core-question.js';
import { QUESTION_TYPES, ruleTypes, type QuestionType } from './question-type.js';
import { typeFeatures } from './type-features.js';

/** The bundled question-type model, retrained by `npm run train:analysis`. */
export const QUESTION_TYPE_MODEL_FILE = join(PACKAGE_ROOT, 'retrieval', 'analysis', 'models', 'question-types.json.gz');

/** A type model as saved: one logistic regression per type over {@link typeFeatures}. */
export interface QuestionTypeModelFile {
  format: 'galen-question-types';
  version: 1;
  types: QuestionType[];
  bias: number[];
  /** Feature → [type index, weight] pairs (weights near zero pruned). */
  weights: Record<string, Array<[number, number]>>;
  /**
   * Keyword rules precise enough on the training data to stand alone: a message they match asks
   * that type even where the n-gram weights (learned mostly from MedQuAD's templated questions)
   * miss a consumer's wording ("can i take X with Y" → interaction).
   */
  trustedRules?: QuestionType[];
  /** How it was trained and what it scored on the held-out split. */
  trained?: unknown;
}

/** A type with the probability the model gives it. */
export interface TypeScore {
  type: QuestionType;
  probability: number;
}

/** Types at or above this probability are asked. */
const ASKED = 0.5;
/** A question within a message adds the types it asks with at least this probability. */
const CLAUSE_ASKS = 0.7;
/** With none asked, the best type still counts from this probability; below it the question is `general`. */
const BEST_AT_LEAST = 0.2;

/**
 * The learned question-type recogniser: a message may ask several types, each scored by its own
 * logistic regression over word n-grams and keyword-rule features (trained on LiveQA's consumer
 * annotations and MedQuAD's question/qtype pairs).
 *
 * @example
 * const model = QuestionTypeModel.load();
 * model.classify('what is mpox and how is it tested?', ['mpox']) // → ['definition', 'diagnosis'] (either order)
 */
export class QuestionTypeModel {
  private readonly weights: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>;

  constructor(private readonly file: QuestionTypeModelFile) {
    if (file.format !== 'galen-question-types' || file.version !== 1) throw new Error('Not a Galen question-type model');
    for (const t of file.types) if (!QUESTION_TYPES.includes(t)) throw new Error(`Unknown question type in model: ${t}`);
    this.weights = new Map(Object.entries(file.weights));
  }

  /** Reads a saved model (gzipped JSON); default the bundled one. */
  static load(path = QUESTION_TYPE_MODEL_FILE): QuestionTypeModel {
    return new QuestionTypeModel(JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as QuestionTypeModelFile);
  }

  get types(): readonly QuestionType[] {
    return this.file.types;
  }

  /** Every type's probability, most likely first. */
  scores(text: string, focusTexts: readonly string[] = []): TypeScore[] {
    const z = [...this.file.bias];
    for (const feature of typeFeatures(text, focusTexts)) for (const [i, w] of this.weights.get(feature) ?? []) z[i]! += w;
    return this.file.types
      .map((type, i) => ({ type, probability: 1 / (1 + Math.exp(-z[i]!)) }))
      .sort((a, b) => b.probability - a.probability);
  }

  /**
   * The types a message asks: those of the message as a whole and of each question in it ("what is
   * mpox and how is it tested?" asks two), in the order asked; `['general']` when none is likely.
   */
  classify(text: string, focusTexts: readonly string[] = []): QuestionType[] {
    const clauses = questionClauses(text);
    const asked = new Set<QuestionType>();
    const whole = this.scores(text, focusTexts);
    // A trusted rule's type comes first: its words ("side effects", "take X with Y") say it outright.
    const trusted = this.file.trustedRules ?? [];
    for (const t of ruleTypes(text)) if (trusted.includes(t)) asked.add(t);
    for (const s of whole) if (s.probability >= ASKED) asked.add(s.type);
    for (const clause of clauses.length > 1 ? clauses : [])
      for (const s of this.scores(clause, focusTexts)) if (s.probability >= CLAUSE_ASKS) asked.add(s.type);
    if (asked.size === 0) for (const t of decide(whole)) asked.add(t);
    if (asked.size > 1) asked.delete('general');
    return [...asked];
  }
}

/** The asked types from scores: those at or above one half, else the best when it is likely enough. */
export function decide(scores: readonly TypeScore[]): QuestionType[] {
  const asked = scores.filter((s) => s.probability >= ASKED).map((s) => s.type);
  if (asked.length) return asked;
  const best = scores[0];
  return best && best.probability >= BEST_AT_LEAST ? [best.type] : ['general'];
}
