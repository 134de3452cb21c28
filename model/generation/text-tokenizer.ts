import { Tokenizer } from '@huggingface/tokenizers';
import { ModelError } from './errors.js';

/** Options of {@link TextTokenizer.encode}. */
export interface EncodeOptions {
  /** Add the tokenizer's special tokens (BOS for LLaMA). Default `true`; chat prompts render their own. */
  addSpecialTokens?: boolean;
}

/**
 * The model's tokenizer (`tokenizer.json` + `tokenizer_config.json`) through `@huggingface/tokenizers`,
 * with the special tokens the generator needs resolved to ids.
 *
 * @example
 * const tok = new TextTokenizer(dir.tokenizerJson, dir.tokenizerConfig);
 * tok.encode('Lily saw a big red ball and'); // [1, 317, 394, …]
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  /** Special tokens added to one text and to a pair, counted on first use by {@link TextTokenizer.encodeTruncated}. */
  private readonly specialTokenCounts: [number | undefined, number | undefined] = [undefined, undefined];
  /** Added tokens' ids by content, built on first use by {@link TextTokenizer.encodeTruncated}. */
  private addedTokenIds: Map<string, number> | undefined;
  /** The BOS token text (e.g. `<s>`), as chat templates expect it. */
  readonly bosToken: string | undefined;
  /** The EOS token text (e.g. `</s>`). */
  readonly eosToken: string | undefined;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  /** `chat_template` of tokenizer_config.json, when it has one. */
  readonly chatTemplate: string | undefined;

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>) {
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (cause) {
      throw new ModelError('INVALID_MODEL', `tokenizer.json could not be loaded: ${(cause as Error).message}`, { cause });
    }
    this.bosToken = tokenText(tokenizerConfig['bos_token']);
    this.eosToken = tokenText(tokenizerConfig['eos_token']);
    this.bosTokenId = this.bosToken === undefined ? undefined : this.tokenizer.token_to_id(this.bosToken);
    this.eosTokenId = this.eosToken === undefined ? undefined : this.tokenizer.token_to_id(this.eosToken);
    this.chatTemplate = chatTemplateOf(tokenizerConfig['chat_template']);
  }

  /**
   * Token ids of `text`. Special-token text inside it (`<s>`, `<|im_start|>`) becomes the special id.
   *
   * @example
   * tok.encode('<s>Hi', { addSpecialTokens: false }); // [1, …]
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /**
   * Text of `ids`, special tokens skipped (BOS, EOS and template markers are not answer text).
   *
   * @example
   * tok.decode([403, 407, 261]); // 'Once upon a'
   */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return ''; // the library throws on an empty list
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: true });
  }

  /** The id of a token string, if the vocabulary has it. */
  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /**
   * Ids and token type ids of `text` (and `options.pair`) with the tokenizer's special tokens
   * (`[CLS] a [SEP] b [SEP]` for BERT), at most `maxLength` tokens in all: the pair is cut first,
   * then `text` when it alone is too long (HF `only_second`, without its error). Also `contentLength`,
   * the tokens that came from the texts themselves (0: nothing to encode). Reads at most
   * {@link MAX_CHARS_PER_KEPT_TOKEN} characters per kept token of each text, so huge inputs cost
   * no more than their kept part. Never throws for any string content.
   *
   * @example
   * tok.encodeTruncated('what causes gout?', { pair: 'Gout is caused by…', maxLength: 512 });
   * // { ids: [101, 2054, …, 102, 25178, …, 102], typeIds: [0, 0, …, 1, 1], contentLength: 9 }
   */
  encodeTruncated(text: string, options: TruncatedEncodeOptions): TruncatedEncoding {
    const specials = this.specialTokenCount(options.pair !== undefined);
    const budget = Math.max(0, options.maxLength - specials);
    const cut = (s: string) =>
      this.tokenizer.tokenize(s.length > budget * MAX_CHARS_PER_KEPT_TOKEN ? s.slice(0, budget * MAX_CHARS_PER_KEPT_TOKEN) : s);
    let first = cut(text);
    let second = options.pair === undefined ? null : cut(options.pair);
    if (second !== null) second = second.slice(0, Math.max(0, budget - first.length));
    first = first.slice(0, budget - (second?.length ?? 0));
    const { tokens, typeIds } = this.withSpecialTokens(first, second);
    return { ids: tokens.map((t) => this.idOf(t)), typeIds, contentLength: first.length + (second?.length ?? 0) };
  }

  /** Special tokens the post-processor adds to one text or a pair: fixed per tokenizer, so counted once (this runs per embedded text). */
  private specialTokenCount(pair: boolean): number {
    const i = pair ? 1 : 0;
    this.specialTokenCounts[i] ??= this.withSpecialTokens([], pair ? [] : null).tokens.length;
    return this.specialTokenCounts[i];
  }

  private withSpecialTokens(first: string[], second: string[] | null): { tokens: string[]; typeIds: number[] } {
    const processor = this.tokenizer.post_processor;
    if (processor === null) {
      const tokens = [...first, ...(second ?? [])];
      return { tokens, typeIds: [...first.map(() => 0), ...(second ?? []).map(() => 1)] };
    }
    const out = processor.post_process(first, second, true);
    // Some processors (ByteLevel) hand the pair back beside the first sequence instead of joining them.
    const tokens = out.tokens_pair ? [...out.tokens, ...out.tokens_pair] : out.tokens;
    return { tokens, typeIds: out.token_type_ids ?? tokens.map(() => 0) };
  }

  /** As the library's `encode` maps tokens: added tokens, then the vocabulary, then the unknown token. */
  private idOf(token: string): number {
    if (this.addedTokenIds === undefined) {
      this.addedTokenIds = new Map([...this.tokenizer.get_added_tokens_decoder()].map(([id, t]) => [t.content, id]));
    }
    return this.addedTokenIds.get(token) ?? this.tokenizer.token_to_id(token) ?? this.tokenizer.model?.unk_token_id ?? 0;
  }
}

/**
 * Characters of a text read per token {@link TextTokenizer.encodeTruncated} keeps. A WordPiece or
 * BPE token covers at least one character, so a prefix this long tokenises like the whole text
 * wherever a kept token is not more than 64 characters on average.
 */
export const MAX_CHARS_PER_KEPT_TOKEN = 64;

/** Options of {@link TextTokenizer.encodeTruncated}. */
export interface TruncatedEncodeOptions {
  /** Second text of a pair (a cross-encoder's passage). Default: none (a single sequence). */
  pair?: string;
  /** Most tokens, special tokens included. Required. */
  maxLength: number;
}

/** Result of {@link TextTokenizer.encodeTruncated}. */
export interface TruncatedEncoding {
  ids: number[];
  /** 0 for the first text and its special tokens, 1 for the pair's (BERT `token_type_ids`). */
  typeIds: number[];
  /** Tokens that came from the texts, not special tokens. */
  contentLength: number;
}

/** tokenizer_config.json writes special tokens as strings or as `{ content: "<s>", … }` objects. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return undefined;
}

/** `chat_template` is a string, or a list of `{ name, template }` where `default` is the chat one. */
function chatTemplateOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim()) return v;
  if (Array.isArray(v)) {
    const named = v.filter((t): t is { name: string; template: string } => typeof t?.name === 'string' && typeof t?.template === 'string');
    return (named.find((t) => t.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}
