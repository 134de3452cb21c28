import { randomUUID } from 'node:crypto';
import { ModelError, type ChatMessage, type FinishReason, type LanguageModel, type TextStream } from '../../model/index.js';
import type { QuestionLanguage, QuestionType } from '../../retrieval/analysis/index.js';
import type { Evidence, EvidenceSource, RetrievalPipeline, RetrievalResult } from '../../retrieval/pipeline/index.js';
import { toCitation, type Citation, type NumberedPassage } from './citation.js';
import { CitationFilter } from './citation-checker.js';
import { packContext, type DroppedPassage } from './context-packer.js';
import { disclaimer, noEvidenceAnswer } from './disclaimer.js';
import { planAnswer, type PlanOptions } from './answer-plan.js';
import { sectionQuestion } from './section-questions.js';
import { sectionLeads, type SectionLead, type SectionStore } from './section-leads.js';
import { estimateTokens } from './token-estimate.js';
import { AnswerError } from './errors.js';
import { writeExtractiveAnswer } from './extractive-answerer.js';
import { describePatient, mentionsPatient, patientAlerts, patientSearchTerms, type PatientContext } from './patient-context.js';
import { buildPrompt, COMPACT_DOCTOR_PERSONA, DOCTOR_PERSONA, renderPassage } from './prompt-builder.js';
import { knownSources } from './requested-sources.js';
import { type TriageReason, triageConversation } from './triage/index.js';

/** The model id Galen answers as (OpenAI-compatible `model`). */
export const GALEN_MODEL_ID = 'galen';

/** How an answer was written. */
export type AnswerMode = 'extractive' | 'generative';

/** Why an answer ended: `stop` (complete), `length` (token limit or context window) or `aborted`. */
export type AnswerFinishReason = 'stop' | 'length' | 'aborted';

/** One question to answer. */
export interface AnswerRequest {
  /** The conversation, oldest first; the last message is the user's question. */
  messages: readonly ChatMessage[];
  patient?: PatientContext;
  /** Passages to retrieve and give the answerer. Default: the pipeline's `passages`. */
  k?: number;
  /** Retrievers to use. Default: every one the server has. */
  sources?: readonly EvidenceSource[];
  /** Most tokens to generate (generative mode). Default: the pipeline's `maxNewTokens`. */
  maxTokens?: number;
  /** Sampling temperature (generative mode). Default: the pipeline's, else the model's. */
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Extra stop strings (generative mode). Default none. */
  stop?: readonly string[];
  /** Aborting it stops retrieval and generation (a client that went away). */
  signal?: AbortSignal;
}

/** The triage part of an answer. */
export interface AnswerTriage {
  level: 'emergency' | 'urgent' | 'none';
  reasons: TriageReason[];
}

/** A finished answer. */
export interface Answer {
  id: string;
  /** Urgent-care guidance (when triage fired), the answer, and the disclaimer. */
  answer: string;
  mode: AnswerMode;
  /** The passages the answer cites, by marker number. Every `[n]` in `answer` is one of them. */
  citations: Citation[];
  triage: AnswerTriage;
  /** The question type answered first (a message may ask several: {@link Answer.questionTypes}). */
  questionType: QuestionType;
  /** The question types answered, in turn. */
  questionTypes: QuestionType[];
  /** True when Galen's sources do not cover the question: the answer says so and cites nothing. */
  abstained: boolean;
  language: QuestionLanguage;
  finishReason: AnswerFinishReason;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number; passages: number };
  timings: { triageMs: number; retrieval: RetrievalResult['timings']; generationMs: number; timeToFirstTokenMs?: number; totalMs: number };
  model: AnswerModelInfo;
  /** Marker numbers the model wrote that pointed at no passage and were removed. */
  removedCitations: number[];
  /** Passages retrieved but left out of the prompt because they did not fit the context window. */
  droppedPassages: DroppedPassage[];
}

/** What answers the questions. */
export interface AnswerModelInfo {
  id: string;
  mode: AnswerMode;
  /** The generator, in generative mode. */
  generator?: { name: string; provider: string; contextWindow: number };
}

/**
 * The events of a streamed answer, in order: `citations` (the numbered passages the answer may
 * cite, with the triage), `delta`s of answer text, then `done` with the whole answer.
 */
export type AnswerEvent =
  | { type: 'citations'; id: string; mode: AnswerMode; triage: AnswerTriage; citations: Citation[] }
  | { type: 'delta'; text: string }
  | { type: 'done'; answer: Answer };

/** The part of a pino logger the pipeline writes to. */
export interface AnswerLogger {
  info(obj: object, msg?: string): void;
}

/** The parts an answer pipeline uses; only retrieval is required. */
export interface AnswerPipelineParts {
  retrieval: RetrievalPipeline;
  /** The generator; without one, answers are extractive. */
  model?: LanguageModel;
  /** One line per answer (never its text: questions can carry patient details). Default none. */
  logger?: AnswerLogger;
  /** The store, to quote a retrieved section from its opening and read its question type. Default: passages as retrieved. */
  sections?: SectionStore;
}

/** Extractive answer options: how much is quoted per question type. */
export type ExtractiveOptions = Pick<PlanOptions, 'maxSentences' | 'maxChars'>;

/** Tuning of the pipeline; every field optional. */
export interface AnswerPipelineOptions {
  /** Passages retrieved and given to the answerer. Default 5. */
  passages?: number;
  /** Most tokens a generative answer may have. Default 256 (and at most half the context window). */
  maxNewTokens?: number;
  /** Sampling temperature. Default: the model's generation_config.json (greedy when it has none). */
  temperature?: number;
  /**
   * The generator's system instructions. Default {@link DOCTOR_PERSONA}, or
   * {@link COMPACT_DOCTOR_PERSONA} for models whose context window is under 2,048 tokens.
   */
  persona?: string;
  /** Extractive answer options (sentences and characters per question type). Default 4 and 800. */
  extractive?: ExtractiveOptions;
  /**
   * Least focus match (0–1) between the question and a passage's title for the passage to count
   * as being about the question; below it for every passage, the answer abstains. Default 0.6.
   */
  focusThreshold?: number;
  /** When the generator's engines are all down: `none` (the request fails, 503) or `extractive` (answer from the passages). Default `none`. */
  fallback?: 'none' | 'extractive';
}

// Tokens kept free between prompt and window: a template's closing tokens and rounding of counts.
const PROMPT_MARGIN_TOKENS = 8;
/** Context windows below this many tokens get the compact persona. */
const COMPACT_PERSONA_BELOW = 2048;

/**
 * Question (+ conversation, optional patient context) → red-flag triage → retrieval → answer
 * (generated from a packed, numbered context with a doctor persona, or extractive without a model)
 * → citation check → urgent-care guidance + answer + disclaimer.
 *
 * @example
 * const pipeline = new AnswerPipeline({ retrieval: new RetrievalPipeline({ store }) });
 * const answer = await pipeline.answer({ messages: [{ role: 'user', content: 'What causes gout?' }] });
 * answer.mode; // 'extractive'
 * for await (const event of pipeline.stream(request)) if (event.type === 'delta') process.stdout.write(event.text);
 */
export class AnswerPipeline {
  readonly model: AnswerModelInfo;
  /** The sections' first chunks, remembered for this pipeline's store (a new pipeline is built when the store changes). */
  private readonly leads: ((evidence: Evidence) => SectionLead) | undefined;

  constructor(
    private readonly parts: AnswerPipelineParts,
    private readonly options: AnswerPipelineOptions = {},
  ) {
    this.leads = parts.sections ? sectionLeads(parts.sections) : undefined;
    const model = parts.model;
    this.model = model
      ? {
          id: GALEN_MODEL_ID,
          mode: 'generative',
          generator: { name: model.modelId, provider: model.provider, contextWindow: model.contextWindow },
        }
      : { id: GALEN_MODEL_ID, mode: 'extractive' };
  }

  get mode(): AnswerMode {
    return this.model.mode;
  }

  /** Retrievers answers can use. */
  get sources(): EvidenceSource[] {
    return this.parts.retrieval.sources;
  }

  /** Answers and returns the whole answer (the events of {@link stream}, collected); `ABORTED` when the signal fires first. */
  async answer(request: AnswerRequest): Promise<Answer> {
    for await (const event of this.stream(request)) if (event.type === 'done') return event.answer;
    throw new AnswerError('ABORTED', 'The request was aborted before the answer was done.');
  }

  /**
   * Answers as a stream of events. Everything that can refuse the request (validation, an unknown
   * source, a full generation queue) throws before the first event, so an HTTP layer can still
   * answer with an error status. Abort `request.signal` (or stop iterating) to stop generation.
   */
  async *stream(request: AnswerRequest): AsyncGenerator<AnswerEvent, void, undefined> {
    const started = performance.now();
    const question = this.validate(request);
    const id = `ans-${randomUUID()}`;
    const patient = describePatient(request.patient);

    const t0 = performance.now();
    // The current message is judged; earlier turns only when it continues them (triageConversation).
    const userTurns = request.messages.filter((m) => m.role === 'user').map((m) => m.content);
    const triaged = triageConversation(userTurns, patient);
    const triageMs = round(performance.now() - t0);
    const answerTriage: AnswerTriage = { level: triaged.level, reasons: triaged.reasons };

    const k = request.k ?? this.options.passages ?? 5;
    // Answers pick the passages about the subject that fit the question type from a wider net.
    const wanted = Math.min(100, Math.max(4 * k, 20));
    const previousTurns = request.messages
      .filter((m) => m.role === 'user')
      .slice(0, -1)
      .map((m) => m.content);
    // The turns are counted while retrieval runs (where a count is a round trip to an engine).
    this.parts.model?.prepareCount?.({ messages: request.messages.filter((m) => m.role !== 'system') });
    const retrieved = await this.parts.retrieval.retrieve(question, {
      k: wanted,
      previousTurns,
      ...(request.sources ? { sources: request.sources } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    if (request.signal?.aborted) return;
    await this.addPatientEvidence(retrieved, question, request, wanted);
    if (request.signal?.aborted) return;
    const { language } = retrieved.analysis;
    let plan = planAnswer(retrieved.analysis, retrieved.hits, { ...this.planOptions(), message: question });
    // A type the passages about the subject do not answer: search the corpus for the subject's section of that type, once.
    const missing = plan.subject
      ? plan.parts.filter((p) => p.note?.kind === 'near-miss' || p.note?.kind === 'not-said').map((p) => p.type)
      : [];
    const local = (request.sources ?? this.parts.retrieval.sources).filter((s) => s !== 'wikipedia');
    if (!plan.abstain && missing.length && local.length) {
      const extra: Evidence[] = [];
      for (const type of missing.slice(0, 2)) {
        const asked = sectionQuestion(type, plan.subject!);
        if (!asked) continue;
        const found = await this.parts.retrieval.retrieve(asked, {
          k: 10,
          sources: local,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        extra.push(...found.hits);
      }
      if (request.signal?.aborted) return;
      const seen = new Set(retrieved.hits.map((h) => h.key));
      const more = extra.filter((h) => !seen.has(h.key) && (seen.add(h.key), true));
      if (more.length) plan = planAnswer(retrieved.analysis, [...retrieved.hits, ...more], { ...this.planOptions(), message: question });
    }
    const questionType: QuestionType = plan.types[0] ?? 'general';

    let passages: NumberedPassage[] = [];
    let droppedPassages: DroppedPassage[] = [];
    let generation: TextStream | undefined;
    let extractive: Iterable<string> | undefined;
    let mode: AnswerMode = this.mode;
    const model = this.parts.model;
    if (model && !plan.abstain) {
      const maxNewTokens = Math.max(
        1,
        Math.min(request.maxTokens ?? this.options.maxNewTokens ?? 256, Math.floor(model.contextWindow / 2)),
      );
      const persona = this.options.persona ?? (model.contextWindow < COMPACT_PERSONA_BELOW ? COMPACT_DOCTOR_PERSONA : DOCTOR_PERSONA);
      // Small windows (the compact persona) keep their few tokens for passages.
      const compact = model.contextWindow < COMPACT_PERSONA_BELOW;
      const asked = compact ? {} : { ...(plan.subject ? { focus: plan.subject } : {}), types: plan.types };
      const base = buildPrompt({ messages: request.messages, passages: [], patient, language, persona, ...asked });
      const budget = model.contextWindow - maxNewTokens - (await model.countTokens({ messages: base })).tokens - PROMPT_MARGIN_TOKENS;
      // The passages the extractive answer would quote come first, then the rest about the subject.
      const packed = await packContext(plan.context.slice(0, Math.max(k, plan.passages.length)), {
        budgetTokens: budget,
        maxPassages: Math.max(k, plan.passages.length),
        keepOrder: true,
        render: renderPassage,
        countTokens: async (text) => (await model.countTokens(text)).tokens,
      });
      passages = number(packed.passages);
      droppedPassages = packed.dropped;
      if (passages.length > 0) {
        const prompt = buildPrompt({ messages: request.messages, passages, patient, language, persona, ...asked });
        try {
          generation = await this.startGeneration(model, prompt, request, maxNewTokens);
        } catch (error) {
          if (!(error instanceof AnswerError && error.code === 'UPSTREAM_UNAVAILABLE' && this.options.fallback === 'extractive'))
            throw error;
          // Every engine is down and the operator chose answers from the passages over a 503.
          mode = 'extractive';
          passages = number(plan.passages);
          droppedPassages = [];
          extractive = writeExtractiveAnswer(plan, language);
        }
      }
    } else {
      // Without a model, or when no passage is about the question (a generator would be given nothing to answer from).
      mode = model && plan.abstain ? this.mode : 'extractive';
      // The answer quotes the plan's passages; a patient's other medicines or pregnancy may be
      // spoken of in another one about the subject, which the alert before the answer cites.
      const forPatient = plan.abstain
        ? []
        : plan.context.filter((e) => !plan.passages.includes(e) && mentionsPatient(question, request.patient, e.text)).slice(0, 2);
      passages = number([...plan.passages, ...forPatient]);
      extractive = writeExtractiveAnswer(plan, language);
    }

    const citations = passages.map(toCitation);
    yield { type: 'citations', id, mode, triage: answerTriage, citations };

    let text = '';
    const emit = (piece: string): AnswerEvent => {
      text += piece;
      return { type: 'delta', text: piece };
    };
    if (triaged.guidance) yield emit(`${triaged.guidance}\n\n`);
    // A matching allergy or a passage on the patient's other medicines comes before the answer.
    const alert = patientAlerts(
      question,
      request.patient,
      passages.map((p) => ({ n: p.n, text: p.evidence.text })),
    );
    if (alert) yield emit(`${alert}\n\n`);

    const filter = new CitationFilter(new Set(passages.map((p) => p.n)));
    const generationStarted = performance.now();
    let finishReason: AnswerFinishReason = 'stop';
    let usage = { promptTokens: 0, completionTokens: 0 };
    let timeToFirstTokenMs: number | undefined;
    if (generation) {
      let leading = true;
      // A consumer that stops iterating (client gone) returns this loop, which aborts the generation.
      try {
        for await (const piece of generation) {
          let shown = filter.push(piece.text);
          if (leading) {
            shown = shown.replace(/^\s+/, '');
            leading = shown === '';
          }
          if (shown) yield emit(shown);
        }
      } catch (error) {
        // A remote engine that fails mid-answer: what was said stands, the stream ends with an error event.
        throw new AnswerError('GENERATION_FAILED', `The model failed while answering: ${(error as Error).message}`, { cause: error });
      }
      const tail = filter.flush().replace(/\s+$/, '');
      if (tail) yield emit(tail);
      const result = await generation.result.catch((error: unknown) => {
        throw new AnswerError('GENERATION_FAILED', `The model failed while answering: ${(error as Error).message}`, { cause: error });
      });
      finishReason = toFinishReason(result.finishReason);
      usage = { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens };
      timeToFirstTokenMs = round(result.timeToFirstTokenMs);
      if (!text.slice(triaged.guidance ? triaged.guidance.length : 0).trim() && finishReason !== 'aborted')
        yield emit(noEvidenceAnswer(language));
    } else {
      // Sentence by sentence, as written, yielding to the event loop between them so each goes out as its own write.
      let wrote = false;
      for (const piece of extractive ?? [noEvidenceAnswer(language)]) {
        if (request.signal?.aborted) break;
        const shown = filter.push(piece);
        if (shown) {
          if (wrote) await new Promise<void>((resolve) => setImmediate(resolve));
          wrote = true;
          yield emit(shown);
        }
      }
      const tail = filter.flush();
      if (tail) yield emit(tail);
      if (!wrote && !tail) yield emit(noEvidenceAnswer(language));
      // No tokenizer read these: usage is a stated estimate (estimateTokens) of what was read and written.
      usage = {
        promptTokens: estimateTokens([...request.messages.map((m) => m.content), ...passages.map((p) => p.evidence.text)].join('\n')),
        completionTokens: 0,
      };
    }
    if (finishReason === 'aborted' || request.signal?.aborted) {
      this.parts.logger?.info(
        {
          answerId: id,
          mode,
          triage: triaged.level,
          passages: passages.length,
          finishReason: 'aborted',
          totalMs: round(performance.now() - started),
        },
        'answer aborted',
      );
      return;
    }
    yield emit(`\n\n${disclaimer(language)}`);
    if (!generation) usage.completionTokens = estimateTokens(text);

    // The alert's own [n] count as cited, though it was written before the filter saw the answer.
    const cited = new Set([...filter.cited, ...[...alert.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]))]);
    const answer: Answer = {
      id,
      answer: text,
      mode,
      citations: citations.filter((c) => cited.has(c.n)),
      triage: answerTriage,
      questionType,
      questionTypes: plan.types,
      abstained: plan.abstain,
      language,
      finishReason,
      usage: { ...usage, totalTokens: usage.promptTokens + usage.completionTokens, passages: passages.length },
      timings: {
        triageMs,
        retrieval: retrieved.timings,
        generationMs: round(performance.now() - generationStarted),
        ...(timeToFirstTokenMs !== undefined ? { timeToFirstTokenMs } : {}),
        totalMs: round(performance.now() - started),
      },
      model: this.model,
      removedCitations: filter.removed,
      droppedPassages,
    };
    this.parts.logger?.info(
      {
        answerId: id,
        mode: answer.mode,
        triage: triaged.level,
        passages: passages.length,
        cited: answer.citations.length,
        abstained: plan.abstain,
        removedCitations: answer.removedCitations.length,
        finishReason,
        totalMs: answer.timings.totalMs,
      },
      'answer',
    );
    yield { type: 'done', answer };
  }

  private planOptions(): PlanOptions {
    return {
      ...this.options.extractive,
      ...(this.options.focusThreshold !== undefined ? { focusThreshold: this.options.focusThreshold } : {}),
      ...(this.leads ? { lead: this.leads } : {}),
    };
  }

  private validate(request: AnswerRequest): string {
    const last = request.messages.at(-1);
    if (last?.role !== 'user') throw new AnswerError('INVALID_REQUEST', "The last message must be the user's question.");
    if (!last.content.trim()) throw new AnswerError('INVALID_REQUEST', 'The question is empty.');
    knownSources(request.sources, this.sources);
    return last.content.trim();
  }

  /**
   * With a patient, a second search of the local corpus only (patient words never go to
   * Wikipedia) for the question with the patient's medications, allergies and pregnancy; its
   * passages that name one of them go first, so the answer can raise an interaction or allergy.
   */
  private async addPatientEvidence(retrieved: { hits: Evidence[] }, question: string, request: AnswerRequest, k: number): Promise<void> {
    const terms = patientSearchTerms(request.patient);
    const local = (request.sources ?? this.parts.retrieval.sources).filter((s) => s !== 'wikipedia');
    if (!terms || !local.length) return;
    const extra = await this.parts.retrieval.retrieve(`${question} ${terms}`, {
      k,
      sources: local,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const words = terms.split(' ').map((t) => (t === 'pregnancy' ? 'pregnan' : t));
    const relevant = extra.hits.filter((h) => words.some((w) => h.text.toLowerCase().includes(w)));
    const seen = new Set(relevant.map((h) => h.key));
    retrieved.hits = [...relevant, ...retrieved.hits.filter((h) => !seen.has(h.key))].slice(0, Math.max(k, relevant.length));
  }

  private async startGeneration(
    model: LanguageModel,
    messages: ChatMessage[],
    request: AnswerRequest,
    maxNewTokens: number,
  ): Promise<TextStream> {
    const temperature = request.temperature ?? this.options.temperature;
    try {
      return await model.stream(
        { messages },
        {
          maxNewTokens,
          ...(temperature !== undefined ? { temperature } : {}),
          ...(request.topP !== undefined ? { topP: request.topP } : {}),
          ...(request.seed !== undefined ? { seed: request.seed } : {}),
          ...(request.stop?.length ? { stop: request.stop } : {}),
        },
        request.signal,
      );
    } catch (error) {
      if (error instanceof ModelError) {
        if (error.code === 'BUSY')
          throw new AnswerError('BUSY', 'Galen is answering as many questions as it can; please retry shortly.', { cause: error });
        if (error.code === 'CLOSED') throw new AnswerError('UNAVAILABLE', 'Galen is shutting down.', { cause: error });
        if (error.code === 'UNAVAILABLE')
          throw new AnswerError('UPSTREAM_UNAVAILABLE', 'The generation service is unavailable; please retry shortly.', { cause: error });
        if (error.code === 'INVALID_OPTIONS') throw new AnswerError('INVALID_REQUEST', error.message, { cause: error });
      }
      throw new AnswerError('GENERATION_FAILED', `The model could not start: ${(error as Error).message}`, { cause: error });
    }
  }
}

function number(evidence: readonly Evidence[]): NumberedPassage[] {
  return evidence.map((e, i) => ({ n: i + 1, evidence: e }));
}

function toFinishReason(reason: FinishReason): AnswerFinishReason {
  if (reason === 'aborted') return 'aborted';
  return reason === 'length' || reason === 'context-window' ? 'length' : 'stop';
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
