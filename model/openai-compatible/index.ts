export {
  OpenAiCompatibleModel,
  type UpstreamHealth,
  type UpstreamOptions,
  type UpstreamRequestReport,
  type UpstreamStatus,
} from './openai-compatible-model.js';
export { CircuitBreaker, type BreakerState } from './circuit-breaker.js';
export { estimateTokens, type TokenCounter } from './token-counter.js';
