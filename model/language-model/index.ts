export type {
  Completion,
  FinishReason,
  LanguageModel,
  TextGenerationOptions,
  TextPiece,
  TextPrompt,
  TextStream,
  TokenCount,
  Usage,
} from './language-model.js';
