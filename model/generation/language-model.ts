import type { ChatMessage } from './chat-template.js';
import type { GenerationOptions } from './generation-options.js';

/**
 * What to continue:
 * - a string: raw text, encoded with the tokenizer's special tokens (BOS);
 * - `{ messages }`: a conversation, rendered with the model's chat template (or the Alpaca /
 *   ChatDoctor template when it has none) and ending with the assistant header;
 * - `{ tokenIds }`: token ids used as they are (special tokens included by the caller).
 */
export type Prompt = string | { messages: readonly ChatMessage[] } | { tokenIds: readonly number[] };

/** One generated token and the text it released. */
export interface GeneratedPiece {
  tokenId: number;
  /**
   * New text, possibly `''`: bytes of an unfinished multi-byte character, or text that might be
   * the start of a stop string, are held back and released with a later piece. The pieces'
   * texts concatenate to the result's `text`.
   */
  text: string;
}

import type { FinishReason } from '../language-model/index.js';

export type { FinishReason };

/** The outcome of one generation. */
export interface GenerationResult {
  /** The generated text: special tokens skipped, the stop string and what follows it removed. */
  text: string;
  /** Generated token ids (without the EOS that ended it; a stop string's tokens are included). */
  tokens: number[];
  /** Tokens of the prompt as run, after truncation. */
  promptTokens: number;
  /** The prompt's and the generated tokens (the LanguageModel contract's usage). */
  usage: { promptTokens: number; completionTokens: number };
  finishReason: FinishReason;
  /** From the request to the first generated token (queueing and prefill included), ms. */
  timeToFirstTokenMs: number;
  /** Generated tokens after the first, per second of decoding (0 when fewer than 2). */
  tokensPerSecond: number;
  /** The seed the sampler used (the one given, or a random one), to reproduce the run. */
  seed: number;
  /** Present when the prompt did not fit the context window and was cut (see {@link GenerationOptions}). */
  truncated?: { droppedTokens: number; droppedMessages: number };
}

/** A running generation: iterate it for pieces as they come; `result` settles at the end. */
export interface GenerationStream extends AsyncIterable<GeneratedPiece> {
  /**
   * The final result. Resolves also when aborted (`finishReason: 'aborted'`); rejects with a
   * ModelError when the runtime fails. Awaiting it without iterating is fine (pieces are kept).
   */
  readonly result: Promise<GenerationResult>;
}

/** Facts about a loaded model that callers plan with. */
export interface LanguageModelInfo {
  /** The model directory. */
  path: string;
  modelType: string;
  /** Tokens the prompt and the output share (config `max_position_embeddings` unless overridden). */
  contextWindow: number;
  vocabSize: number;
  numLayers: number;
  numKeyValueHeads: number;
  headDim: number;
  kvDtype: 'float32' | 'float16';
  executionProvider: 'cpu' | 'cuda';
  /** Token ids that end generation (generation_config.json, config.json and the tokenizer's EOS). */
  eosTokenIds: number[];
  /** Whether tokenizer_config.json has a `chat_template` (otherwise chat uses the Alpaca template). */
  hasChatTemplate: boolean;
}
