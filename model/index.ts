/**
 * The model layer: the {@link LanguageModel} contract generation goes through, LLaMA-family decoders exported to ONNX, run in onnxruntime-node, with
 * tokenisation, chat templates, sampling, streaming and batched decoding of concurrent requests.
 * Imports nothing from the rest of Galen.
 */
export type {
  FinishReason,
  GeneratedPiece,
  GenerationResult,
  GenerationStream,
  LanguageModelInfo,
  Prompt,
} from './generation/language-model.js';
export type {
  Completion,
  LanguageModel,
  TextGenerationOptions,
  TextPiece,
  TextPrompt,
  TextStream,
  TokenCount,
  Usage,
} from './language-model/index.js';
export { OnnxLanguageModel, loadLanguageModel, type LoadOptions } from './generation/onnx-language-model.js';
export { DEFAULT_MAX_NEW_TOKENS, resolveGenerationOptions, type GenerationOptions } from './generation/generation-options.js';
export { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_QUEUED_REQUESTS, type SchedulerOptions } from './generation/decode-scheduler.js';
export type { ExecutionProviderName, SessionOptions } from './generation/execution-provider.js';
export { ModelError, type ModelErrorCode } from './generation/errors.js';
export { ALPACA_CHAT_TEMPLATE, ALPACA_STOP_STRINGS, ChatTemplate, type ChatMessage } from './generation/chat-template.js';
export { TextTokenizer } from './generation/text-tokenizer.js';
export { IncrementalDecoder, type TokenDecoder } from './generation/incremental-decoder.js';
export { StopMatcher } from './generation/stop-matcher.js';
export { Sampler, argmax, type SamplingParameters } from './generation/sampler.js';
export { SeededRandom } from './generation/random.js';
export { readModelDirectory, type ModelConfig, type ModelDirectory, type GenerationConfig } from './generation/model-directory.js';
export * from './embedding/index.js';
export * from './reranking/index.js';
export * from './builder/index.js';
export * from './files/index.js';
