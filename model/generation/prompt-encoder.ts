import { ALPACA_CHAT_TEMPLATE, ALPACA_STOP_STRINGS, ChatTemplate, type ChatMessage } from './chat-template.js';
import { ModelError } from './errors.js';
import type { Prompt } from './language-model.js';
import type { TextTokenizer } from './text-tokenizer.js';

/** A prompt as token ids, fitted to a budget. */
export interface EncodedPrompt {
  ids: number[];
  /** Present when the prompt was cut to fit. */
  truncated?: { droppedTokens: number; droppedMessages: number };
  /** Stop strings the prompt format implies (the Alpaca template's headers), else empty. */
  impliedStop: readonly string[];
}

const SENTINEL = '\u0000galen-sentinel\u0000';

/**
 * Turns a {@link Prompt} into token ids and applies the truncation policy documented on
 * `GenerationOptions.contextWindow`: drop the oldest non-system messages but the last, then cut
 * tokens after the leading part (BOS, system text) so the newest tokens survive.
 *
 * @example
 * const enc = new PromptEncoder(tokenizer);
 * enc.encode({ messages: [{ role: 'user', content: 'What causes gout?' }] }, 2048).ids;
 */
export class PromptEncoder {
  private readonly template: ChatTemplate;
  private readonly usesFallbackTemplate: boolean;

  constructor(private readonly tokenizer: TextTokenizer) {
    this.usesFallbackTemplate = tokenizer.chatTemplate === undefined;
    this.template = new ChatTemplate(tokenizer.chatTemplate ?? ALPACA_CHAT_TEMPLATE);
  }

  /** Renders a conversation to prompt text with the model's chat template. */
  renderChat(messages: readonly ChatMessage[]): string {
    return this.template.render(messages, { bosToken: this.tokenizer.bosToken, eosToken: this.tokenizer.eosToken });
  }

  /** Token ids of `prompt`, cut to at most `budget` tokens by the policy. */
  encode(prompt: Prompt, budget = Number.POSITIVE_INFINITY): EncodedPrompt {
    if (typeof prompt === 'string') return this.fit(this.tokenizer.encode(prompt), budget, this.leadingSpecials.bind(this), 0, []);
    if ('tokenIds' in prompt) return this.fit([...prompt.tokenIds], budget, this.leadingSpecials.bind(this), 0, []);
    return this.encodeChat(prompt.messages, budget);
  }

  private encodeChat(messages: readonly ChatMessage[], budget: number): EncodedPrompt {
    if (messages.length === 0) throw new ModelError('INVALID_OPTIONS', 'a chat prompt needs at least one message');
    const impliedStop = this.usesFallbackTemplate ? ALPACA_STOP_STRINGS : [];
    const encodeMessages = (m: readonly ChatMessage[]) => this.tokenizer.encode(this.renderChat(m), { addSpecialTokens: false });
    const fullLength = encodeMessages(messages).length;
    const kept = [...messages];
    let ids = encodeMessages(kept);
    let droppedMessages = 0;
    // Oldest first: the first message that is neither system text nor the last message.
    for (;;) {
      if (ids.length <= budget) break;
      const i = kept.findIndex((m, k) => m.role !== 'system' && k < kept.length - 1);
      if (i < 0) break;
      kept.splice(i, 1);
      droppedMessages++;
      ids = encodeMessages(kept);
    }
    const systemHead = (all: number[]) => this.systemPrefixLength(kept, all);
    const fitted = this.fit(ids, budget, systemHead, droppedMessages, impliedStop);
    if (fitted.truncated) fitted.truncated.droppedTokens = fullLength - fitted.ids.length;
    return fitted;
  }

  private fit(
    ids: number[],
    budget: number,
    head: (ids: number[]) => number,
    droppedMessages: number,
    impliedStop: readonly string[],
  ): EncodedPrompt {
    if (ids.length <= budget) {
      return droppedMessages > 0 ? { ids, truncated: { droppedTokens: 0, droppedMessages }, impliedStop } : { ids, impliedStop };
    }
    const keepHead = Math.min(head(ids), Math.floor(budget / 2));
    const cut = [...ids.slice(0, keepHead), ...ids.slice(ids.length - (budget - keepHead))];
    return { ids: cut, truncated: { droppedTokens: ids.length - cut.length, droppedMessages }, impliedStop };
  }

  /** Leading BOS of a text or token prompt. */
  private leadingSpecials(ids: number[]): number {
    return ids[0] !== undefined && ids[0] === this.tokenizer.bosTokenId ? 1 : 0;
  }

  /** Tokens before the first non-system message's content: BOS, the template preamble, the system text. */
  private systemPrefixLength(messages: readonly ChatMessage[], ids: number[]): number {
    try {
      const probe = [...messages.filter((m) => m.role === 'system'), { role: 'user' as const, content: SENTINEL }];
      const text = this.renderChat(probe);
      const at = text.indexOf(SENTINEL);
      if (at < 0) return this.leadingSpecials(ids);
      const prefix = this.tokenizer.encode(text.slice(0, at), { addSpecialTokens: false });
      let n = 0;
      while (n < prefix.length && n < ids.length && prefix[n] === ids[n]) n++;
      return n;
    } catch {
      return this.leadingSpecials(ids);
    }
  }
}
