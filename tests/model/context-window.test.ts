import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, type OnnxLanguageModel } from '../../model/index.js';
import { STORIES } from './fixtures.js';

describe('context window', () => {
  let model: OnnxLanguageModel;
  beforeAll(async () => {
    model = await loadLanguageModel(STORIES);
  });
  afterAll(() => model.close());

  const story = 'Once upon a time there was a boy named Tom. He had a red ball and a big dog. ';

  it('cuts the oldest tokens of a long text prompt, keeps BOS and the end, and reports it', async () => {
    const prompt = story.repeat(20) + 'Lily saw a big red ball and';
    const full = model.encode(prompt);
    const r = await model.generate(prompt, { contextWindow: 128, maxNewTokens: 16, temperature: 0 });
    // Budget = 128 − min(16, 64) = 112 prompt tokens.
    expect(r.promptTokens).toBe(112);
    expect(r.truncated).toEqual({ droppedTokens: full.length - 112, droppedMessages: 0 });
    expect(r.tokens.length).toBe(16);
    const { ids } = model.fitPrompt(prompt, { contextWindow: 128, maxNewTokens: 16 });
    expect(ids[0]).toBe(1);
    expect(ids.slice(1)).toEqual(full.slice(full.length - 111));
  });

  it('uses the model window when not overridden (max_position_embeddings 512)', async () => {
    const prompt = story.repeat(40);
    const r = await model.generate(prompt, { maxNewTokens: 8, temperature: 0 });
    expect(r.promptTokens).toBe(512 - 8);
    expect(r.truncated!.droppedTokens).toBe(model.encode(prompt).length - 504);
  });

  it('does not report truncation when the prompt fits', async () => {
    const r = await model.generate('Lily saw a big red ball and', { maxNewTokens: 4, temperature: 0 });
    expect(r.truncated).toBeUndefined();
  });

  it('drops the oldest chat messages first, keeping system text and the latest question', async () => {
    const messages = [
      { role: 'system' as const, content: 'You are a kind storyteller.' },
      { role: 'user' as const, content: story.repeat(3) },
      { role: 'assistant' as const, content: story.repeat(3) },
      { role: 'user' as const, content: 'Tell me about Lily and the ball.' },
    ];
    const all = model.encode({ messages });
    const kept = model.encode({ messages: [messages[0]!, messages[3]!] });
    expect(kept.length).toBeLessThan(224);
    expect(all.length).toBeGreaterThan(224);
    const r = await model.generate({ messages }, { contextWindow: 256, maxNewTokens: 32, temperature: 0 });
    expect(r.truncated).toEqual({ droppedTokens: all.length - kept.length, droppedMessages: 2 });
    expect(r.promptTokens).toBe(kept.length);
    expect(model.fitPrompt({ messages }, { contextWindow: 256, maxNewTokens: 32 }).ids).toEqual(kept);
  });

  it('then cuts inside the latest message, keeping the system text and the question at the end', () => {
    const messages = [
      { role: 'system' as const, content: 'You are a kind storyteller.' },
      { role: 'user' as const, content: `${story.repeat(30)}Question: where is the ball?` },
    ];
    const { ids, truncated } = model.fitPrompt({ messages }, { maxNewTokens: 16 });
    expect(ids.length).toBe(496);
    expect(truncated!.droppedTokens).toBe(model.encode({ messages }).length - 496);
    const text = model.decode(ids);
    expect(text).toMatch(/^Below is an instruction[^]*### Instruction:\nYou are a kind storyteller\.\n\n### Input:\n/);
    expect(text).toMatch(/Question: where is the ball\?\n\n### Response:\n?$/);
    expect(text.length).toBeLessThan(model.decode(model.encode({ messages })).length);
  });

  it('ends with context-window when prompt and output fill the window', async () => {
    const r = await model.generate({ tokenIds: [1] }, { contextWindow: 20, maxNewTokens: 100, temperature: 0 });
    expect(r.finishReason).toBe('context-window');
    expect(r.promptTokens + r.tokens.length).toBe(20);
  });
});
