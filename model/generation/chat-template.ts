import { Template } from '@huggingface/jinja';
import { ModelError } from './errors.js';

/** One turn of a conversation. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * The Alpaca / ChatDoctor prompt, for models whose tokenizer_config.json has no `chat_template`
 * (ChatDoctor and most LLaMA-1/2 medical fine-tunes were trained on it). System text is the
 * "### Instruction:", user turns the "### Input:" (ChatDoctor's layout: instruction = "answer as a
 * doctor", input = the patient's words); without system text a user turn is the instruction.
 */
export const ALPACA_CHAT_TEMPLATE = [
  // Significant newlines are written as {{ '\n' }} expressions: `{%-`/`-%}` trim literal ones.
  "{%- set ns = namespace(system='') -%}",
  "{%- for m in messages if m.role == 'system' -%}",
  "{%- set ns.system = ns.system + ('\\n\\n' if ns.system else '') + (m.content | trim) -%}",
  '{%- endfor -%}',
  '{{ bos_token }}',
  '{%- if ns.system -%}',
  "{{ 'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\\n\\n### Instruction:\\n' + ns.system + '\\n\\n' }}",
  '{%- else -%}',
  "{{ 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\\n\\n' }}",
  '{%- endif -%}',
  "{%- for m in messages if m.role != 'system' -%}",
  "{%- if m.role == 'user' -%}",
  "{{ ('### Input:' if ns.system else '### Instruction:') + '\\n' + (m.content | trim) + '\\n\\n' }}",
  '{%- else -%}',
  "{{ '### Response:\\n' + (m.content | trim) + eos_token + '\\n\\n' }}",
  '{%- endif -%}',
  '{%- endfor -%}',
  "{%- if add_generation_prompt -%}{{ '### Response:\\n' }}{%- endif -%}",
].join('');

/**
 * Stop strings for {@link ALPACA_CHAT_TEMPLATE}: a fine-tune that misses EOS goes on to write the
 * next section header. (Plain `###` would also cut Markdown headings in answers.)
 */
export const ALPACA_STOP_STRINGS: readonly string[] = ['### Instruction', '### Input', '### Response'];

/** Variables a chat template may read besides `messages`. */
export interface ChatTemplateContext {
  bosToken?: string | undefined;
  eosToken?: string | undefined;
  /** End the prompt with the assistant header, so the model answers. Default `true`. */
  addGenerationPrompt?: boolean;
}

/**
 * A compiled chat template (a tokenizer_config.json `chat_template`, or {@link ALPACA_CHAT_TEMPLATE}).
 *
 * @example
 * const t = new ChatTemplate(tokenizer.chatTemplate ?? ALPACA_CHAT_TEMPLATE);
 * t.render([{ role: 'user', content: 'What causes gout?' }], { bosToken: '<s>' });
 */
export class ChatTemplate {
  private readonly template: Template;

  constructor(readonly source: string) {
    try {
      this.template = new Template(source);
    } catch (cause) {
      throw new ModelError('INVALID_MODEL', `chat_template does not parse: ${(cause as Error).message}`, { cause });
    }
  }

  /** Renders `messages` to prompt text (special tokens as text; encode it without adding specials). */
  render(messages: readonly ChatMessage[], context: ChatTemplateContext = {}): string {
    try {
      return this.template.render({
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        bos_token: context.bosToken ?? '',
        eos_token: context.eosToken ?? '',
        add_generation_prompt: context.addGenerationPrompt ?? true,
      });
    } catch (cause) {
      // Templates raise on conversations they refuse (e.g. roles that do not alternate).
      throw new ModelError('INVALID_OPTIONS', `chat template rejected the messages: ${(cause as Error).message}`, { cause });
    }
  }
}
