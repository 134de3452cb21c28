import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, type OnnxLanguageModel } from '../../model/index.js';
import { STORIES } from '../model/fixtures.js';
import { TestUpstream } from '../model/openai-compatible/test-upstream.js';
import { startChatServer, type ChatServer } from './chat-server.js';

// The engine's /tokenize is a round trip: Galen counts the question's turn while retrieval runs,
// not after it. Seen from outside: the engine is asked to count the question before Galen's search
// of a (slow) wiki has its answer.

let engine: OnnxLanguageModel;
let upstream: TestUpstream;
let wiki: Server;
let chat: ChatServer;
let wikiRequests = 0;
let wikiAnswered = 0;
/** For each /tokenize of the question: how many wiki searches had been answered when it arrived. */
const answeredAtCount: number[] = [];
const QUESTION = 'What is gout and how is it treated?';

beforeAll(async () => {
  engine = await loadLanguageModel(STORIES);
  upstream = await TestUpstream.start(engine);
  upstream.onTokenize = (text) => {
    if (text === QUESTION) answeredAtCount.push(wikiAnswered);
  };
  // A MediaWiki API that takes 800 ms to find nothing.
  wiki = createServer((_req, res) => {
    wikiRequests++;
    setTimeout(() => {
      wikiAnswered++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ batchcomplete: '', query: { searchinfo: { totalhits: 0 }, search: [] } }));
    }, 800);
  });
  await new Promise<void>((resolve) => wiki.listen(0, '127.0.0.1', resolve));
  chat = await startChatServer({
    model: { backend: 'openai-compatible' },
    upstream: { urls: [upstream.url], retries: 0 },
    wikipedia: { enabled: true, apiUrl: `http://127.0.0.1:${(wiki.address() as AddressInfo).port}/w/api.php`, budgetMs: 5000 },
    answer: { passages: 3, maxNewTokens: 8, temperature: 0 },
  });
});
afterAll(async () => {
  await chat?.cleanup();
  await upstream?.close();
  wiki?.closeAllConnections();
  await new Promise<void>((resolve) => (wiki ? wiki.close(() => resolve()) : resolve()));
  await engine?.close();
});

describe('counting the question for an engine', () => {
  it('asks the engine to count the question while the search is still running, once', async () => {
    const res = await chat.post('/v1/chat', { messages: [{ role: 'user', content: QUESTION }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { mode: string };
    expect(body.mode).toBe('generative');
    expect(wikiRequests).toBeGreaterThan(0);
    // Counted once (the prompt's count found it counted or in flight), before the wiki had answered.
    expect(answeredAtCount).toEqual([0]);
  });
});
