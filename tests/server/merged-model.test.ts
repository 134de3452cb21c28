import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config/index.js';
import { greedy, REFERENCE, STORIES, STORIES_LORA } from '../model/builder/fixtures.js';
import { capturingLogger, startChatServer, type ChatServer } from './chat-server.js';

describe('a server configured with a base checkpoint and LoRA adapters', () => {
  const servers: ChatServer[] = [];
  afterAll(async () => {
    for (const s of servers.reverse()) await s.cleanup();
  });

  it('refuses adapters without a base, and a base together with a built model', () => {
    expect(() => loadConfig({ env: { GALEN_LORA: STORIES_LORA } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { GALEN_LORA: STORIES_LORA } })).toThrow(/model\.adapters/);
    expect(() => loadConfig({ env: { GALEN_MODEL: '/m', GALEN_MODEL_BASE: STORIES } })).toThrow(/model\.base/);
    expect(
      loadConfig({ env: { GALEN_MODEL_BASE: STORIES, GALEN_LORA: `${STORIES_LORA}, ${STORIES_LORA}`, GALEN_LORA_SCALE: '0.5' } }).model,
    ).toMatchObject({
      base: STORIES,
      adapters: [STORIES_LORA, STORIES_LORA],
      loraScale: 0.5,
    });
  });

  it('builds the merged model at start, answers generatively with it, and reuses the build on restart', async () => {
    const first = capturingLogger();
    const chat = await startChatServer({ model: { base: STORIES, adapters: [STORIES_LORA] } }, { logger: first.logger });
    servers.push(chat);
    expect(first.messages).toContain('merged model built');
    // Galen's own builds expose the new keys and values: steps fetch only those.
    expect(first.messages).toContain('generator loaded');
    expect(first.messages.some((m) => m.includes('fetches the whole KV cache'))).toBe(false);
    const res = await chat.post('/v1/chat', { messages: [{ role: 'user', content: 'What is gout?' }], options: { maxTokens: 8 } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { mode: string }).mode).toBe('generative');

    const builds = readdirSync(join(chat.dataDir, 'models'), { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(builds).toHaveLength(1);
    // The cached build is the adapter-merged model: it reproduces the reference's LoRA greedy ids.
    const ids = await greedy(join(chat.dataDir, 'models', builds[0]!.name));
    expect(ids.bos).toEqual(REFERENCE.bos.lora_greedy);
    await chat.server.close();

    const second = capturingLogger();
    const again = await startChatServer(
      { dataDir: chat.dataDir, model: { base: STORIES, adapters: [STORIES_LORA] } },
      { logger: second.logger },
    );
    servers.push(again);
    expect(second.messages).toContain('merged model found in the cache');
    expect(second.messages).not.toContain('merged model built');
  });
});
