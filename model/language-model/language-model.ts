import type { ChatMessage } from '../generation/chat-template.js';

/**
 * Why generation ended: an end-of-sequence token (`eos`), a stop string (`stop`), the token limit
 * (`length`), the context window full (`context-window`), or the caller's signal or `break` (`aborted`).
 */
export type FinishReason = 'eos' | 'stop' | 'length' | 'context-window' | 'aborted';

/** What a backend continues: raw text, or a conversation its chat template renders. */
export type TextPrompt = string | { messages: readonly ChatMessage[] };

/** Sampling and stopping settings every backend honours; every field optional. */
export interface TextGenerationOptions {
  /** Most tokens to generate. Default: the backend's. */
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Strings that end generation; the string and what follows it are left out of the text. */
  stop?: readonly string[];
}

/** Tokens of a prompt: exact from the model's tokenizer, or a conservative estimate (`estimated: true`). */
export interface TokenCount {
  tokens: number;
  estimated: boolean;
}

/** One piece of generated text (possibly `''`); the pieces concatenate to the completion's text. */
export interface TextPiece {
  text: string;
}

/** Tokens a generation took. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** The outcome of one generation. */
export interface Completion {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  /** From the request to the first generated piece, ms (0 when none came). */
  timeToFirstTokenMs: number;
}

/** A running generation: iterate it for pieces; `result` settles at the end (rejects when the backend fails). */
export interface TextStream extends AsyncIterable<TextPiece> {
  readonly result: Promise<Completion>;
}

/**
 * The contract the answer pipeline generates through: Galen's own ONNX runtime honours it, and so
 * does a remote serving engine. Nothing in it is specific to one runtime.
 *
 * `stream` may return a promise: a remote backend resolves it once an engine has accepted the
 * request, so a refusal (queue full, every upstream down) rejects it before any text, and callers
 * can still answer with an error status. It throws or rejects with a `ModelError`: `BUSY`,
 * `CLOSED`, `INVALID_OPTIONS`, `UNAVAILABLE`, `GENERATION_FAILED`. Aborting `signal` ends the
 * stream at the next piece with `finishReason: 'aborted'`.
 *
 * @example
 * const stream = await model.stream({ messages }, { maxNewTokens: 64 }, signal);
 * for await (const { text } of stream) process.stdout.write(text);
 * const { usage } = await stream.result;
 */
export interface LanguageModel {
  /** Which backend generates (`onnx`, `openai-compatible`). */
  readonly provider: string;
  /** The model's name as its backend knows it (a directory name, a served model or adapter). */
  readonly modelId: string;
  /** Tokens the prompt and the output share. */
  readonly contextWindow: number;
  /** Tokens of a prompt as the model would see it (a conversation: with its chat template). */
  countTokens(prompt: TextPrompt): Promise<TokenCount>;
  /**
   * Optional: this prompt (or part of it) will be counted soon. A backend whose count is a round
   * trip starts it now, so the later {@link countTokens} finds it counted; local counts ignore it.
   */
  prepareCount?(prompt: TextPrompt): void;
  stream(prompt: TextPrompt, options?: TextGenerationOptions, signal?: AbortSignal): TextStream | Promise<TextStream>;
  /** Aborts running requests, rejects new ones and releases what the backend holds. */
  close(): Promise<void>;
}
