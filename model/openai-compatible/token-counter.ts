import { createHash } from 'node:crypto';
import type { ChatMessage } from '../generation/chat-template.js';
import { readJsonObject } from '../generation/model-directory.js';
import { PromptEncoder } from '../generation/prompt-encoder.js';
import { TextTokenizer } from '../generation/text-tokenizer.js';
import type { TextPrompt, TokenCount } from '../language-model/index.js';

/** How a remote model's prompts are counted. */
export interface TokenCounter {
  source: 'tokenizer' | 'engine' | 'estimate';
  count(prompt: TextPrompt): Promise<TokenCount>;
  /** The chat template's rendering (with a tokenizer folder), for `/v1/completions`. */
  renderChat?: (messages: readonly ChatMessage[]) => string;
}

/** Template tokens a chat turn adds around its text, when the count is estimated or the engine counts text only. */
const TOKENS_PER_MESSAGE = 8;
/**
 * Bytes per token assumed by the estimate: below what BPE tokenizers reach on English (about 4
 * characters a token) and on CJK text (3 UTF-8 bytes a character, often 1–2 tokens each), so
 * context packing errs on leaving room.
 */
const BYTES_PER_TOKEN = 2.5;
/**
 * Engine counts kept, by the text's SHA-256 (never the text): context packing counts the same
 * corpus passages and the same persona again and again, and each count is a round trip to the engine.
 */
const ENGINE_COUNT_CACHE = 4096;

/**
 * The best counter there is: the model's tokenizer folder (exact, chat template included), else
 * the engine's `/tokenize` (vLLM: `{prompt}` → `{count}`; llama.cpp: `{content}` → `{tokens}`),
 * probed once (a count it then fails to give is estimated), else an estimate from the UTF-8 length
 * that says it is one.
 */
export async function openTokenCounter(options: {
  tokenizer?: string;
  tokenizeBase?: string;
  model: string;
  timeoutMs: number;
  apiKey?: string;
}): Promise<TokenCounter> {
  if (options.tokenizer) {
    const tokenizer = new TextTokenizer(
      readJsonObject(options.tokenizer, 'tokenizer.json', true),
      readJsonObject(options.tokenizer, 'tokenizer_config.json', false) ?? {},
    );
    const encoder = new PromptEncoder(tokenizer);
    return {
      source: 'tokenizer',
      count: async (prompt) => ({ tokens: encoder.encode(prompt).ids.length, estimated: false }),
      renderChat: (messages) => encoder.renderChat(messages),
    };
  }
  if (options.tokenizeBase) {
    const url = `${options.tokenizeBase}/tokenize`;
    const tokenize = async (text: string): Promise<number> => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body: JSON.stringify({ model: options.model, prompt: text, content: text }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = (await response.json()) as { count?: unknown; tokens?: unknown };
      if (typeof body.count === 'number') return body.count;
      if (Array.isArray(body.tokens)) return body.tokens.length;
      throw new Error('no count in the answer');
    };
    const works = await tokenize('hello').then(
      () => true,
      () => false,
    );
    // In-flight counts are shared: a count started early (while retrieval runs) serves the later one.
    const cache = new Map<string, Promise<number>>();
    const cachedTokenize = (text: string): Promise<number> => {
      const key = createHash('sha256').update(text).digest('base64');
      const known = cache.get(key);
      if (known !== undefined) {
        // Most recently used last, so the oldest is dropped first.
        cache.delete(key);
        cache.set(key, known);
        return known;
      }
      const count = tokenize(text);
      cache.set(key, count);
      // A failed count is not kept: the next asks the engine again.
      count.catch(() => cache.get(key) === count && cache.delete(key));
      if (cache.size > ENGINE_COUNT_CACHE) cache.delete(cache.keys().next().value!);
      return count;
    };
    if (works)
      return {
        source: 'engine',
        count: async (prompt) => {
          try {
            if (typeof prompt === 'string') return { tokens: await cachedTokenize(prompt), estimated: false };
            // The engine counts text; the template's tokens around each turn are a margin. Turns
            // are cached like passages: the persona and the conversation's earlier turns recur, and
            // a round trip before each answer is time to first token.
            const texts = await Promise.all(prompt.messages.map((m) => cachedTokenize(m.content)));
            return { tokens: texts.reduce((a, b) => a + b + TOKENS_PER_MESSAGE, TOKENS_PER_MESSAGE), estimated: true };
          } catch {
            // A busy or restarting engine answers /tokenize late or not at all: packing goes on
            // with the conservative estimate rather than failing the answer.
            return { tokens: estimateTokens(prompt), estimated: true };
          }
        },
      };
  }
  return { source: 'estimate', count: async (prompt) => ({ tokens: estimateTokens(prompt), estimated: true }) };
}

/** A conservative token count from UTF-8 length. */
export function estimateTokens(prompt: TextPrompt): number {
  const bytes = (text: string) => Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
  if (typeof prompt === 'string') return bytes(prompt);
  return prompt.messages.reduce((sum, m) => sum + bytes(m.content) + TOKENS_PER_MESSAGE, TOKENS_PER_MESSAGE);
}
