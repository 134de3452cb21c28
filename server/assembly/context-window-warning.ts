/**
 * The smallest context window retrieval-grounded answers are planned for: the prompt must hold the
 * instructions, the question, several passages of a few hundred tokens each and the answer.
 */
export const MIN_RAG_CONTEXT_TOKENS = 2048;

/**
 * What to tell the operator at model load when the generator's context window is too small for
 * RAG, or `null` when it is large enough. Answers still work: passages are trimmed to their
 * leading sentences (at least one is kept), so they cite less than the retrieval found.
 *
 * @example
 * contextWindowWarning(512, 256) // → 'the model's context window is 512 tokens: …'
 */
export function contextWindowWarning(contextWindow: number, maxNewTokens: number): string | null {
  if (contextWindow >= MIN_RAG_CONTEXT_TOKENS) return null;
  const answer = Math.min(maxNewTokens, Math.floor(contextWindow / 2));
  return (
    `the model's context window is ${contextWindow} tokens, below the ${MIN_RAG_CONTEXT_TOKENS} that retrieval-grounded answers need: ` +
    `with ${answer} kept for the answer, at most ${contextWindow - answer} are left for the instructions, the question and the passages, ` +
    'so passages are trimmed to their leading sentences (or left out). Use a model with a window of 4096 tokens or more (see "Choosing a model" in the README).'
  );
}
