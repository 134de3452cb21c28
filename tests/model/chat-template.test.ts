import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALPACA_CHAT_TEMPLATE,
  ChatTemplate,
  IncrementalDecoder,
  loadLanguageModel,
  TextTokenizer,
  type OnnxLanguageModel,
} from '../../model/index.js';
import { SHARED_MODELS, STORIES } from './fixtures.js';

const SMOLLM = join(SHARED_MODELS, 'tokenizers', 'smollm');
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

describe('chat templates', () => {
  it('renders the Alpaca / ChatDoctor layout for models without a chat_template', () => {
    const t = new ChatTemplate(ALPACA_CHAT_TEMPLATE);
    const text = t.render(
      [
        { role: 'system', content: "If you are a doctor, please answer the medical questions based on the patient's description." },
        { role: 'user', content: 'I have pain in my big toe.' },
        { role: 'assistant', content: 'It may be gout.' },
        { role: 'user', content: 'What should I do?' },
      ],
      { bosToken: '<s>', eosToken: '</s>' },
    );
    expect(text).toBe(
      '<s>Below is an instruction that describes a task, paired with an input that provides further context. ' +
        'Write a response that appropriately completes the request.\n\n' +
        "### Instruction:\nIf you are a doctor, please answer the medical questions based on the patient's description.\n\n" +
        '### Input:\nI have pain in my big toe.\n\n### Response:\nIt may be gout.</s>\n\n### Input:\nWhat should I do?\n\n### Response:\n',
    );
    expect(t.render([{ role: 'user', content: 'What causes gout?' }], { bosToken: '<s>' })).toBe(
      '<s>Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nWhat causes gout?\n\n### Response:\n',
    );
  });

  it("renders a tokenizer_config.json chat_template (SmolLM's ChatML) and encodes its markers as special tokens", () => {
    const tok = new TextTokenizer(json(join(SMOLLM, 'tokenizer.json')), json(join(SMOLLM, 'tokenizer_config.json')));
    expect(tok.chatTemplate).toBeDefined();
    const text = new ChatTemplate(tok.chatTemplate!).render([{ role: 'user', content: 'What causes gout?' }], { bosToken: tok.bosToken });
    expect(text).toBe('<|im_start|>user\nWhat causes gout?<|im_end|>\n<|im_start|>assistant\n');
    const ids = tok.encode(text, { addSpecialTokens: false });
    expect(ids[0]).toBe(tok.tokenId('<|im_start|>'));
    expect(tok.eosTokenId).toBe(tok.tokenId('<|im_end|>'));
  });

  it('streams byte-level BPE (SmolLM) text with emoji exactly', () => {
    const tok = new TextTokenizer(json(join(SMOLLM, 'tokenizer.json')), json(join(SMOLLM, 'tokenizer_config.json')));
    const text = 'Gout 痛风 🦶🔥 is painful — très douloureux ✓';
    const decoder = new IncrementalDecoder(tok);
    const pieces = tok.encode(text, { addSpecialTokens: false }).map((id) => decoder.push(id));
    pieces.push(decoder.flush());
    expect(pieces.join('')).toBe(text);
    for (const p of pieces) expect(p).not.toContain('\uFFFD');
  });

  it('a chat prompt on a model without a template uses the Alpaca layout and its stop strings', async () => {
    let model: OnnxLanguageModel | undefined;
    try {
      model = await loadLanguageModel(STORIES);
      expect(model.info.hasChatTemplate).toBe(false);
      const ids = model.encode({ messages: [{ role: 'user', content: 'Tell me a story.' }] });
      expect(ids[0]).toBe(1);
      expect(model.decode(ids)).toMatch(/### Instruction:\nTell me a story\.\n\n### Response:\n$/);
      const r = await model.generate({ messages: [{ role: 'user', content: 'Tell me a story.' }] }, { maxNewTokens: 64, temperature: 0 });
      expect(r.text).not.toMatch(/### (Instruction|Input|Response)/);
    } finally {
      await model?.close();
    }
  });
});
