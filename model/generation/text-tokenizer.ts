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
