import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiCompatibleModel } from '../../model/openai-compatible/index.js';

/** An engine over real HTTP that lists one model and counts words on /tokenize, recording each text it was asked to count. */
let server: Server;
let url: string;
const tokenized: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url === '/v1/models') return res.end(JSON.stringify({ data: [{ id: 'm', max_model_len: 4096 }] }));
      if (req.method === 'POST' && req.url === '/tokenize') {
        const text = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { prompt?: unknown }).prompt ?? '');
        tokenized.push(text);
        return res.end(JSON.stringify({ count: text.split(/\s+/).filter(Boolean).length }));
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("the engine's /tokenize counts", () => {
  it('counts a conversation turn once: the persona and earlier turns are not sent again before each answer', async () => {
    const model = await OpenAiCompatibleModel.open({ urls: [url] });
    try {
      expect(model.tokenCountSource).toBe('engine');
      const persona = 'You are a careful doctor who cites the numbered sources';
      tokenized.length = 0;
      const first = await model.countTokens({
        messages: [
          { role: 'system', content: persona },
          { role: 'user', content: 'What is gout?' },
        ],
      });
      expect(tokenized).toHaveLength(2);
      const second = await model.countTokens({
        messages: [
          { role: 'system', content: persona },
          { role: 'user', content: 'What causes asthma?' },
        ],
      });
      // Only the new question went to the engine; the persona's count came from the cache.
      expect(tokenized.slice(2)).toEqual(['What causes asthma?']);
      expect(first).toEqual({ tokens: 10 + 3 + 3 * 8, estimated: true });
      expect(second).toEqual({ tokens: 10 + 3 + 3 * 8, estimated: true });
      const again = await model.countTokens({
        messages: [
          { role: 'system', content: persona },
          { role: 'user', content: 'What is gout?' },
        ],
      });
      expect(again).toEqual(first);
      expect(tokenized).toHaveLength(3);
      // Two counts of a new turn at once (one started early, one for the prompt) share one round trip.
      const [x, y] = await Promise.all([
        model.countTokens({ messages: [{ role: 'user', content: 'Is gout inherited?' }] }),
        model.countTokens({
          messages: [
            { role: 'system', content: persona },
            { role: 'user', content: 'Is gout inherited?' },
          ],
        }),
      ]);
      expect(tokenized.slice(3)).toEqual(['Is gout inherited?']);
      expect(x).toEqual({ tokens: 3 + 2 * 8, estimated: true });
      expect(y).toEqual({ tokens: 10 + 3 + 3 * 8, estimated: true });
    } finally {
      await model.close();
    }
  });
});
