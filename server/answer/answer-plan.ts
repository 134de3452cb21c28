import {
  answersType,
  classifyQuestion,
  MEDQUAD_QTYPES,
  sectionMatchesType,
  type AnalysedQuestion,
  type QuestionType,
} from '../../retrieval/analysis/index.js';
import type { Evidence } from '../../retrieval/pipeline/index.js';
import { answerTerms } from './answer-terms.js';
import { focusScore, opensWith, questionFocus, subjectEntities } from './focus-match.js';
import { interactionPair, type InteractionPair } from './interaction-pair.js';
import { quotableSentences } from './quotable-sentences.js';
import type { SectionLead } from './section-leads.js';
import { authorityOf, authorityRank, type SourceAuthority } from './source-authority.js';

/** Options of {@link planAnswer}; every field optional. */
export interface PlanOptions {
  /**
   * Least focus match (0–1, see `focusScore`) for a passage to count as being about the question;
   * when none reaches it the answer abstains. Default {@link DEFAULT_FOCUS_THRESHOLD}.
   */
  focusThreshold?: number;
  /** Most sentences quoted for one question type. Default 4. */
  maxSentences?: number;
  /** Most characters quoted for one question type (markers excluded). Default 800. */
  maxChars?: number;
  /** Most question types of one message answered in turn. Default 3. */
  maxTypes?: number;
  /** A passage's section as written (first chunk, question type); default: the passage as retrieved. */
  lead?: (evidence: Evidence) => SectionLead;
  /** The message as asked (its subject may be outside the analysed core question). Default: the analysis's standalone question. */
  message?: string;
}

/**
 * Default least focus match: more than half of a title's subject terms named by the question (so
 * "Oil Spills" is not about changing a car's oil). Tuned with `galen eval answers` on the dev sets
 * and the unanswerable list.
 */
export const DEFAULT_FOCUS_THRESHOLD = 0.6;

/**
 * How far down the ranking a type's second passage may come from, and how many the ranker's best
 * passages about the subject are quoted (a sentence each) when the type's own passages left them
 * out: the judged dev sets reward the ranker's top 3 (tuned with `galen eval answers --split dev`).
 */
const EXTRA_RANKS = 3;
/** How far down the ranking a passage from another collection may come from to corroborate the first type's answer. */
const CORROBORATING_RANKS = 10;
const RANKED_QUOTED = 3;
/** Most conditions a differential names. */
const DIFFERENTIAL_CONDITIONS = 3;

/** Sentences quoted from one passage. */
export interface Quote {
  /** Index into {@link AnswerPlan.passages}; its citation number is index + 1. */
  passage: number;
  sentences: string[];
  /** Other passages that say the same (indexes into {@link AnswerPlan.passages}), cited beside it. */
  also?: number[];
}

/** The answer to one question type of the message. */
export interface AnswerPart {
  type: QuestionType;
  /** What Galen says before (or instead of) the quotes: a near miss, or that the sources do not say. */
  note?:
    | { kind: 'near-miss'; subject: string; described: QuestionType }
    | { kind: 'not-said'; subject: string }
    | { kind: 'interaction-not-covered'; pair: InteractionPair }
    | { kind: 'differential'; symptoms: string[]; conditions: string[] };
  quotes: Quote[];
}

/** What an answer will say and from which passages. */
export interface AnswerPlan {
  /** True when no passage is about the question's subject: the answer says so and cites nothing. */
  abstain: boolean;
  /** The subject's name as the answer writes it (the analyser's focus, else the main passage's title). */
  subject?: string;
  parts: AnswerPart[];
  /** The passages quoted, numbered 1..n in order of first use. */
  passages: Evidence[];
  /** Every retrieved passage about the question's subject, the quoted ones first: what a generator is given. */
  context: Evidence[];
  /** The question types answered, in turn. */
  types: QuestionType[];
}

interface Candidate {
  evidence: Evidence;
  rank: number;
  about: number;
  authority: SourceAuthority;
  qtype?: string;
}

/**
 * Plans an answer from retrieved passages: for each question type the message asks (in turn), the
 * best passage about the question's subject whose section answers that type (a reference before an
 * encyclopedia before a dialogue, then the retrieval rank), quoted from its opening as written; a
 * sentence or two from another passage only where it adds something (a short main passage, the
 * second medicine of an interaction question). A subject the passages cover but not for this type
 * is a near miss; no passage about the subject (or no sentence naming both medicines of an
 * interaction question) abstains.
 *
 * @example
 * const plan = planAnswer(result.analysis, result.hits);
 * plan.parts[0].quotes[0].sentences[0]; // 'Gout is a form of arthritis that causes sudden onset of intense pain …'
 */
export function planAnswer(analysis: AnalysedQuestion, hits: readonly Evidence[], options: PlanOptions = {}): AnswerPlan {
  const threshold = options.focusThreshold ?? DEFAULT_FOCUS_THRESHOLD;
  const maxSentences = options.maxSentences ?? 4;
  const maxChars = options.maxChars ?? 800;
  // Built on first use: most questions never ask whether a word is the evidence's.
  let vocabulary: Set<string> | undefined;
  const known = (t: string) => {
    if (!vocabulary) {
      vocabulary = new Set<string>();
      for (const e of hits) for (const term of passageTerms(e)) vocabulary.add(term);
    }
    return vocabulary.has(t);
  };
  const focus = questionFocus(analysis, options.message, known);
  const seen = new Set<string>();
  const about: Candidate[] = [];
  hits.forEach((e, rank) => {
    if (seen.has(e.externalId)) return;
    seen.add(e.externalId);
    let score = focusScore(focus, e.title);
    // The ranker's best passages may speak of the subject under another title ("High Blood Pressure
    // in Pregnancy" of preeclampsia): one whose opening names the subject is about it too.
    if (score < threshold && rank < RANKED_QUOTED && opensWith(focus, e.text)) score = threshold;
    if (score < threshold) return;
    const lead = options.lead?.(e) ?? { evidence: e };
    about.push({ evidence: lead.evidence, rank, about: score, authority: authorityOf(e), ...(lead.qtype ? { qtype: lead.qtype } : {}) });
  });
  const asked = analysis.types.filter((t) => t !== 'general');
  const types = (asked.length ? asked : (['general'] as QuestionType[])).slice(0, options.maxTypes ?? 3);
  const builder = new PlanBuilder(about);

  const pair = interactionPair(analysis.coreQuestion);
  if (pair && (types.includes('interaction') || types[0] === 'general' || types.includes('treatment'))) {
    return builder.interaction(pair, hits, threshold, options.lead);
  }
  // "I have neck pain and tingling arms, what could it be?": the conditions the sources list with those symptoms.
  // One symptom the sources have a passage about for the asked type ("the cause of my insomnia") is answered from it.
  const namedAnswers =
    (analysis.symptoms?.length ?? 0) <= 1 &&
    about.some((c) => c.about >= 1 && c.authority !== 'dialogue' && types.some((t) => t !== 'general' && fits(c, t)));
  if (
    analysis.candidateConditions?.length &&
    !namedAnswers &&
    (types.includes('causes') || types.includes('diagnosis') || types[0] === 'general')
  ) {
    const differential = builder.differential(analysis, hits, threshold, maxChars, options.lead);
    if (differential) return differential;
  }
  if (about.length === 0) return builder.abstain(types);

  const subject =
    subjectEntities(analysis.focus, options.message).find((f) => focus.names.includes(f.name.toLowerCase().trim()))?.name ??
    bestTitle(about);
  let nearMissQuoted = false;
  for (const type of types) {
    // A question of no recognised type is answered first with what the subject is.
    const fitting = about
      .filter((c) => fits(c, type))
      .sort((a, b) => (type === 'general' ? Number(fits(b, 'definition')) - Number(fits(a, 'definition')) : 0) || byRank(a, b));
    // The best-standing fitting passage with something quotable (a list of links says nothing).
    const main = fitting
      .map((c) => ({ c, sentences: leadSentences(c, type, maxSentences, maxChars, builder.quoted) }))
      .find((m) => m.sentences.length > 0);
    if (main) {
      const { sentences } = main;
      const quotes: Quote[] = [builder.quote(main.c.evidence, sentences)];
      // One sentence from the next fitting passage near the top of the ranking, when it says something new.
      const chars = sentences.join(' ').length;
      const other = fitting.find((c) => c.evidence.externalId !== main.c.evidence.externalId && c.rank < EXTRA_RANKS);
      if (other && chars < maxChars) {
        const extra = leadSentences(other, type, 1, maxChars - chars, builder.quoted).filter((s) => !redundant(s, sentences));
        if (extra.length) quotes.push(builder.quote(other.evidence, extra));
      }
      // Another collection's passage on the subject itself corroborates the first type answered
      // (MedQuAD's collections cover the same diseases: GARD, GHR, MedlinePlus, NIH SeniorHealth).
      const first = !builder.parts.some((p) => p.quotes.length > 0 && !p.note);
      if (first && !quotes.some((q) => collectionOf(builder.passages[q.passage]!) !== collectionOf(main.c.evidence))) {
        const said = quotes.flatMap((q) => q.sentences);
        const corroborating = fitting.find(
          (c) =>
            c.about >= 1 &&
            c.authority !== 'dialogue' &&
            c.rank < CORROBORATING_RANKS &&
            collectionOf(c.evidence) !== collectionOf(main.c.evidence),
        );
        if (corroborating) {
          const extra = leadSentences(corroborating, type, 1, maxChars, builder.quoted).filter((s) => !redundant(s, said));
          // Opening with what the main passage says, it is cited beside it.
          const opening = extra.length ? undefined : leadSentences(corroborating, type, 1, maxChars, new Set())[0];
          if (extra.length) quotes.push(builder.quote(corroborating.evidence, extra));
          else if (opening && redundant(opening, quotes[0]!.sentences)) builder.corroborate(quotes[0]!, corroborating.evidence);
        }
      }
      // The first type answered also quotes the ranker's best passages about the subject (a
      // sentence each) where the type's own passages leave them out.
      if (first)
        for (const c of about.filter((c) => c.authority !== 'dialogue' && c.rank < RANKED_QUOTED).sort((a, b) => a.rank - b.rank)) {
          if (quotes.some((q) => builder.passages[q.passage]!.externalId === c.evidence.externalId)) continue;
          // Only what this type or the subject's overview says; another asked type's passage is
          // quoted in that type's turn.
          if (!fits(c, type) && !fits(c, 'definition')) continue;
          if (types.some((t) => t !== type && t !== 'general' && fits(c, t))) continue;
          const said = quotes.flatMap((q) => q.sentences);
          const extra = leadSentences(c, type, 1, maxChars, builder.quoted).filter((s) => !redundant(s, said));
          if (extra.length) quotes.push(builder.quote(c.evidence, extra));
        }
      builder.parts.push({ type, quotes });
      continue;
    }
    if (type === 'general') continue;
    // A near miss: the subject's best passage of another type (what it is, first), said to be that.
    const near = nearMissQuoted
      ? undefined
      : [...about]
          .map((c) => ({ c, described: typeOf(c) }))
          .sort((a, b) => nearMissOrder(a.described) - nearMissOrder(b.described) || byStanding(a.c, b.c))
          .map((n) => ({ ...n, sentences: leadSentences(n.c, n.described, Math.min(3, maxSentences), maxChars, builder.quoted) }))
          .find((n) => n.sentences.length > 0);
    if (!near) {
      builder.parts.push({ type, note: { kind: 'not-said', subject }, quotes: [] });
      continue;
    }
    nearMissQuoted = true;
    builder.parts.push({
      type,
      note: { kind: 'near-miss', subject, described: near.described },
      quotes: [builder.quote(near.c.evidence, near.sentences)],
    });
  }
  if (builder.parts.every((p) => p.quotes.length === 0)) return builder.abstain(types, subject);
  return builder.done(types, subject);
}

class PlanBuilder {
  readonly parts: AnswerPart[] = [];
  readonly passages: Evidence[] = [];
  /** Sentences already quoted (by their words), so a later type does not repeat them. */
  readonly quoted = new Set<string>();

  constructor(private readonly about: readonly Candidate[]) {}

  quote(evidence: Evidence, sentences: string[]): Quote {
    const index = this.numbered(evidence);
    for (const s of sentences) this.quoted.add(key(s));
    return { passage: index, sentences };
  }

  /** Cites `evidence` beside `quote` (it says the same). */
  corroborate(quote: Quote, evidence: Evidence): void {
    const index = this.numbered(evidence);
    if (index !== quote.passage && !quote.also?.includes(index)) quote.also = [...(quote.also ?? []), index];
  }

  /** The passage's index in {@link passages}, numbering it on first use. */
  private numbered(evidence: Evidence): number {
    const index = this.passages.findIndex((p) => p.externalId === evidence.externalId && p.source === evidence.source);
    return index < 0 ? this.passages.push(evidence) - 1 : index;
  }

  abstain(types: QuestionType[], subject?: string): AnswerPlan {
    return { abstain: true, ...(subject ? { subject } : {}), parts: [], passages: [], context: [], types };
  }

  done(types: QuestionType[], subject: string): AnswerPlan {
    const quoted = new Set(this.passages.map((p) => p.externalId));
    const rest = [...this.about]
      .sort(byStanding)
      .map((c) => c.evidence)
      .filter((e) => !quoted.has(e.externalId));
    return { abstain: false, subject, parts: this.parts, passages: this.passages, context: [...this.passages, ...rest], types };
  }

  /**
   * A description of symptoms naming no cause: the best-ranked passages about up to
   * {@link DIFFERENTIAL_CONDITIONS} of the analysis's candidate conditions (what each is, else its
   * symptoms), a sentence or two each, in ranking order; none found leaves the usual plan.
   */
  differential(
    analysis: AnalysedQuestion,
    hits: readonly Evidence[],
    threshold: number,
    maxChars: number,
    lead?: (e: Evidence) => SectionLead,
  ): AnswerPlan | undefined {
    const conditions = (analysis.candidateConditions ?? []).map((c) => ({
      name: c.name,
      focus: questionFocus({ focus: [], standalone: c.name }),
    }));
    const found = new Map<string, Candidate[]>();
    hits.forEach((e, rank) => {
      if (authorityOf(e) === 'dialogue') return;
      const named = conditions.find((c) => focusScore(c.focus, e.title) >= threshold);
      if (!named) return;
      const l = lead?.(e) ?? { evidence: e };
      const list = found.get(named.name) ?? [];
      if (!found.has(named.name)) {
        if (found.size >= DIFFERENTIAL_CONDITIONS) return;
        found.set(named.name, list);
      }
      list.push({ evidence: l.evidence, rank, about: 1, authority: authorityOf(e), ...(l.qtype ? { qtype: l.qtype } : {}) });
    });
    const quotes: Quote[] = [];
    const names: string[] = [];
    const each = Math.max(200, Math.floor(maxChars / Math.max(1, found.size)));
    for (const [name, candidates] of found) {
      const best = (['definition', 'symptoms'] as const)
        .flatMap((type) => candidates.filter((c) => fits(c, type)).map((c) => ({ c, type })))
        .concat(candidates.map((c) => ({ c, type: 'definition' as const })))
        .map(({ c, type }) => ({ c, sentences: leadSentences(c, type, 2, each, this.quoted) }))
        .find((m) => m.sentences.length > 0);
      if (!best) continue;
      names.push(best.c.evidence.title || name);
      quotes.push(this.quote(best.c.evidence, best.sentences));
    }
    if (!quotes.length) return undefined;
    const types: QuestionType[] = ['causes'];
    this.parts.push({ type: 'causes', note: { kind: 'differential', symptoms: analysis.symptoms ?? [], conditions: names }, quotes });
    return { abstain: false, subject: names.join(', '), parts: this.parts, passages: this.passages, context: this.passages, types };
  }

  /**
   * An interaction question: the sentences that name both things, from the best-standing passage
   * about one of them that has them (the second medicine is often only in the first one's text);
   * without one, the sources do not say, and nothing is cited.
   */
  interaction(pair: InteractionPair, hits: readonly Evidence[], threshold: number, lead?: (e: Evidence) => SectionLead): AnswerPlan {
    const types: QuestionType[] = ['interaction'];
    const a = nameTerms(pair.a);
    const b = nameTerms(pair.b);
    const aboutA = questionFocus({ focus: [], standalone: pair.a });
    const aboutB = questionFocus({ focus: [], standalone: pair.b });
    const found: Array<{ evidence: Evidence; sentences: string[]; standing: number; rank: number }> = [];
    hits.forEach((hit, rank) => {
      // A passage about one of the two that names the other; a list that merely names both (drugs linked to colitis) is not about either.
      if (focusScore(aboutA, hit.title) < threshold && focusScore(aboutB, hit.title) < threshold) return;
      const evidence = lead?.(hit).evidence ?? hit;
      for (const e of evidence === hit ? [hit] : [evidence, hit]) {
        const sentences = quotableSentences(e.text, e.title).filter((s) => {
          const terms = new Set(answerTerms(s));
          return a.some((t) => terms.has(t)) && b.some((t) => terms.has(t));
        });
        if (sentences.length) {
          found.push({ evidence: e, sentences: sentences.slice(0, 2), standing: authorityRank(authorityOf(e)), rank });
          break;
        }
      }
    });
    const best = found.sort((x, y) => y.standing - x.standing || x.rank - y.rank)[0];
    if (!best) {
      this.parts.push({ type: 'interaction', note: { kind: 'interaction-not-covered', pair }, quotes: [] });
      return { abstain: true, parts: this.parts, passages: [], context: [], types };
    }
    this.parts.push({ type: 'interaction', quotes: [this.quote(best.evidence, best.sentences)] });
    return {
      abstain: false,
      subject: `${pair.a} and ${pair.b}`,
      parts: this.parts,
      passages: this.passages,
      context: this.passages,
      types,
    };
  }
}

/** Whether a passage's section answers `type`: its MedQuAD qtype, else its section heading or question. */
function fits(c: Candidate, type: QuestionType): boolean {
  if (type === 'general') return true;
  if (c.qtype) return MEDQUAD_QTYPES[type].includes(c.qtype);
  const section = c.evidence.section.trim();
  if (!section) return type === 'definition' && c.authority === 'encyclopedia';
  return sectionMatchesType(section, type);
}

/** The type a passage's section answers (what a near miss says the sources describe). */
function typeOf(c: Candidate): QuestionType {
  if (c.qtype) {
    for (const [type, qtypes] of Object.entries(MEDQUAD_QTYPES) as Array<[QuestionType, readonly string[]]>)
      if (qtypes.includes(c.qtype)) return type;
  }
  const section = c.evidence.section.trim();
  const type = section ? classifyQuestion(section) : 'definition';
  return type === 'general' ? 'definition' : type;
}

// What a near miss offers first: what the subject is, what it is for, then how it shows and why.
const NEAR_MISS_ORDER: readonly QuestionType[] = ['definition', 'usage', 'symptoms', 'causes', 'treatment', 'diagnosis', 'outlook'];

function nearMissOrder(type: QuestionType): number {
  const at = NEAR_MISS_ORDER.indexOf(type);
  return at < 0 ? NEAR_MISS_ORDER.length + (type === 'research' ? 1 : 0) : at;
}

/** References and encyclopedias before dialogues, then the (learned) retrieval rank. */
function byRank(a: Candidate, b: Candidate): number {
  return Number(b.authority !== 'dialogue') - Number(a.authority !== 'dialogue') || a.rank - b.rank;
}

/** References before encyclopedias before dialogues; a title that is the subject before a partial match; then the retrieval rank. */
function byStanding(a: Candidate, b: Candidate): number {
  return (
    Number(b.authority !== 'dialogue') - Number(a.authority !== 'dialogue') ||
    Number(b.about >= 1) - Number(a.about >= 1) ||
    authorityRank(b.authority) - authorityRank(a.authority) ||
    a.rank - b.rank
  );
}

/**
 * The passage's opening sentences for `type`, as written: from its start when its section answers
 * that type, else from its first sentence that speaks to it (or its start). Stops at `max`
 * sentences or `maxChars` (at least one sentence); sentences already quoted are skipped.
 */
function leadSentences(c: Candidate, type: QuestionType, max: number, maxChars: number, quoted: ReadonlySet<string>): string[] {
  const written = quotableSentences(c.evidence.text, c.evidence.title);
  const all = written.filter((s) => !quoted.has(key(s)));
  if (all.length === 0) return [];
  let start = 0;
  if (!fits(c, type) && type !== 'general' && type !== 'definition') {
    const at = all.findIndex((s) => answersType(s, type));
    start = Math.max(at, 0);
  }
  // A run that starts inside the passage does not start with a word that points back ("It can
  // cause cramping", "But …"): read alone it would say nothing about what.
  let next = start;
  while (next < all.length && all[next] !== written[0] && POINTS_BACK.test(all[next]!)) next++;
  if (next < all.length) start = next;
  const out: string[] = [];
  let chars = 0;
  for (const s of all.slice(start)) {
    if (out.length >= max || (out.length > 0 && chars + s.length > maxChars)) break;
    out.push(s);
    chars += s.length;
  }
  return out;
}

/** The terms of passages' titles and texts, remembered by text: the same passages come back question after question. */
const termsByText = new Map<string, readonly string[]>();
const CACHED_PASSAGE_TERMS = 5_000;

function passageTerms(e: Evidence): readonly string[] {
  const text = `${e.title} ${e.text}`;
  let terms = termsByText.get(text);
  if (!terms) {
    terms = [...new Set(answerTerms(text))];
    if (termsByText.size >= CACHED_PASSAGE_TERMS) termsByText.delete(termsByText.keys().next().value!);
    termsByText.set(text, terms);
  }
  return terms;
}

/** A passage's collection: MedQuAD's by its id ("GHR_0000807_Sec1" → "GHR"), else its source. */
function collectionOf(e: Evidence): string {
  const at = e.externalId.indexOf('_');
  return at > 0 ? `${e.source}:${e.externalId.slice(0, at)}` : e.source;
}

/** A sentence opening with a word that refers to an earlier one. */
const POINTS_BACK = /^(?:it|its|this|these|those|they|their|them|he|she|but|however|also|and|so|such|both|then)\b/i;

function bestTitle(about: readonly Candidate[]): string {
  return [...about].sort((a, b) => b.about - a.about || byStanding(a, b))[0]!.evidence.title;
}

function nameTerms(name: string): string[] {
  return answerTerms(name);
}

function key(sentence: string): string {
  return sentence
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function redundant(sentence: string, chosen: readonly string[]): boolean {
  const words = new Set(answerTerms(sentence));
  return chosen.some((c) => {
    const other = new Set(answerTerms(c));
    let both = 0;
    for (const w of words) if (other.has(w)) both++;
    return words.size > 0 && both / (words.size + other.size - both) > 0.5;
  });
}
