import { ChatOpenAI } from '@langchain/openai';
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markers, startChatServer, type ChatServer } from './chat-server.js';

// Clients that work unchanged: the official `openai` client and LangChain's ChatOpenAI against a
// real extractive server on loopback, with the dummy key such clients send to local servers.
let chat: ChatServer;
beforeAll(async () => {
  chat = await startChatServer();
});
afterAll(async () => {
  await chat?.cleanup();
});

const DUMMY_KEY = 'sk-no-key-required';
const client = () => new OpenAI({ baseURL: `${chat.server.url}/v1`, apiKey: DUMMY_KEY, maxRetries: 0 });
const question = [{ role: 'user' as const, content: 'What are the symptoms of gout?' }];

describe('the official openai client', () => {
  it('answers with the dummy key and reports usage (a stated estimate for extractive answers)', async () => {
    const completion = await client().chat.completions.create({ model: 'galen', messages: question });
    const content = completion.choices[0]!.message.content ?? '';
    expect(content).toMatch(/intense joint pain/);
    expect(markers(content).length).toBeGreaterThan(0);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it('streams, with usage at the end when asked', async () => {
    const stream = await client().chat.completions.create({
      model: 'galen',
      messages: question,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toMatch(/intense joint pain/);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it.each([
    ['tools', { tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }] }],
    ['tool_choice', { tool_choice: 'required' }],
    ['response_format', { response_format: { type: 'json_object' } }],
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
  ])('refuses %s with an OpenAI-style 400 naming the param', async (param, extra) => {
    const attempt = client().chat.completions.create({ model: 'galen', messages: question, ...extra } as never);
    await expect(attempt).rejects.toBeInstanceOf(BadRequestError);
    const error = (await attempt.catch((e: unknown) => e)) as BadRequestError;
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toBe(param);
    expect(error.message).toMatch(new RegExp(param));
  });

  it('keeps working for neutral values of those fields', async () => {
    const completion = await client().chat.completions.create({
      model: 'galen',
      messages: question,
      n: 1,
      logprobs: false,
      tool_choice: 'none',
      response_format: { type: 'text' },
    });
    expect(completion.choices).toHaveLength(1);
  });

  it('gives errors OpenAI’s type: an unknown model, a bad field, a wrong Galen key', async () => {
    const unknown = (await client()
      .chat.completions.create({ model: 'gpt-4o', messages: question })
      .catch((e: unknown) => e)) as NotFoundError;
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown).toMatchObject({ type: 'invalid_request_error', param: 'model', code: 'UNKNOWN_MODEL' });
    const bad = (await client()
      .chat.completions.create({ model: 'galen', messages: [{ role: 'user', content: '' }] })
      .catch((e: unknown) => e)) as BadRequestError;
    expect(bad).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'messages.0.content' });
    const wrong = new OpenAI({ baseURL: `${chat.server.url}/v1`, apiKey: `galen_000000000000_${'A'.repeat(43)}`, maxRetries: 0 });
    const denied = (await wrong.models.list().catch((e: unknown) => e)) as AuthenticationError;
    expect(denied).toBeInstanceOf(AuthenticationError);
    expect(denied.type).toBe('authentication_error');
  });

  it('does not feed the disclaimer, guidance and sources block of earlier answers back to retrieval', async () => {
    const first = await client().chat.completions.create({
      model: 'galen',
      messages: [{ role: 'user', content: 'I have crushing chest pain and I am sweating' }],
    });
    const earlier = `${first.choices[0]!.message.content}\n\nSources:\n[1] Heart attack — https://example.org/heart`;
    const followUp = await client().chat.completions.create({
      model: 'galen',
      messages: [
        { role: 'user', content: 'What are the symptoms of gout?' },
        { role: 'assistant', content: earlier },
        { role: 'user', content: 'How is it treated?' },
      ],
    });
    const extra = followUp as unknown as { citations: Array<{ title: string }>; galen: { triage: { level: string } } };
    expect(extra.galen.triage.level).toBe('none');
    // The follow-up is about gout (the first question), not about the heart attack guidance.
    expect(extra.citations.map((c) => c.title).join(' ')).toMatch(/gout/i);
  });

  it('answers Open WebUI’s title, tags and follow-up prompts briefly, without retrieval', async () => {
    const history = '<chat_history>\nUSER: What are the symptoms of gout?\nASSISTANT: Gout causes intense joint pain [1].\n</chat_history>';
    const ask = async (task: string) => {
      const completion = await client().chat.completions.create({
        model: 'galen',
        messages: [{ role: 'user', content: `### Task:\n${task}\n${history}` }],
      });
      const extra = completion as unknown as { citations: unknown[]; galen: { mode: string } };
      expect(extra.citations).toEqual([]);
      expect(extra.galen.mode).toBe('meta');
      return JSON.parse(completion.choices[0]!.message.content ?? '') as Record<string, unknown>;
    };
    const title = await ask('Generate a concise, 3-5 word title with an emoji summarizing the chat history.');
    expect(title.title).toBe('What are the symptoms of gout');
    expect(await ask('Generate 1-3 broad tags categorizing the main themes of the chat history')).toHaveProperty('tags');
    expect(await ask('Suggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next')).toEqual({
      follow_ups: [],
    });
    // Streaming too (Open WebUI streams its title request).
    const stream = await client().chat.completions.create({
      model: 'galen',
      stream: true,
      messages: [
        { role: 'user', content: `### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n${history}` },
      ],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(JSON.parse(text)).toHaveProperty('title');
  });
});

describe("LangChain's ChatOpenAI", () => {
  const model = () =>
    new ChatOpenAI({ model: 'galen', apiKey: DUMMY_KEY, configuration: { baseURL: `${chat.server.url}/v1` }, maxRetries: 0 });

  it('invokes', async () => {
    const message = await model().invoke('What are the symptoms of gout?');
    expect(String(message.content)).toMatch(/intense joint pain/);
    expect(message.usage_metadata?.output_tokens).toBeGreaterThan(0);
  });

  it('streams', async () => {
    let text = '';
    let chunks = 0;
    for await (const chunk of await model().stream('How is high blood pressure treated?')) {
      text += String(chunk.content);
      chunks += 1;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(text).toMatch(/lifestyle changes and medicines/);
  });
});

describe('/openapi.json', () => {
  it('documents the metrics, knowledge and job routes too', async () => {
    const doc = (await (await fetch(`${chat.server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const path of [
      '/metrics',
      '/v1/models/{id}',
      '/v1/knowledge/sources',
      '/v1/knowledge/sources/{name}',
      '/v1/knowledge/ingest',
      '/v1/knowledge/refresh',
      '/v1/jobs',
      '/v1/jobs/{id}',
    ])
      expect(doc.paths, path).toHaveProperty([path]);
  });
});
