/**
 * A stated estimate of how many tokens `text` is, for answers that no tokenizer read (extractive
 * ones): one per CJK character, one per four other characters (roughly what BPE tokenizers give
 * English). `usage` of extractive answers is this estimate.
 *
 * @example
 * estimateTokens('What causes gout?') // → 5
 */
export function estimateTokens(text: string): number {
  const cjk = text.match(/[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/gu)?.length ?? 0;
  const other = text.length - cjk;
  return cjk + Math.ceil(other / 4);
}
