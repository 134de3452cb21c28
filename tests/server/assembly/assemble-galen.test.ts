import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ingest } from '../../../knowledge/index.js';
import { assembleGalen } from '../../../server/assembly/index.js';
import { loadConfig } from '../../../server/config/index.js';
import { createLogger } from '../../../server/logging/logger.js';
import { tempDir } from '../../helpers/paths.js';
import { STORIES } from '../../model/fixtures.js';
import { MINI_CORPUS } from '../chat-server.js';

describe('assembleGalen', () => {
  const tmp = tempDir('galen-assembly-');
  afterEach(() => tmp.cleanup());
  const config = (overrides: Record<string, unknown>) =>
    loadConfig({
      env: {},
      overrides: {
        dataDir: join(tmp.dir, 'data'),
        seed: { enabled: false },
        wikipedia: { enabled: false },
        vectors: { enabled: false },
        ...overrides,
      },
    });

  it('builds store, model and pipelines from the configuration and closes what it opened', async () => {
    const galen = await assembleGalen(config({ model: { path: STORIES } }), { logger: createLogger('silent') });
    await ingest(galen.store, { source: 'mini', paths: [MINI_CORPUS], format: 'jsonl', license: 'CC BY 4.0', attribution: 'test' });
    expect(galen.model).toMatchObject({ provider: 'onnx', modelId: 'stories260k', contextWindow: 512 });
    const answer = await galen.answers().answer({ messages: [{ role: 'user', content: 'What causes gout?' }], maxTokens: 8 });
    expect(answer.mode).toBe('generative');
    const model = galen.model!;
    const { store } = galen;
    await galen.close();
    await galen.close(); // once
    expect(() => store.countChunks()).toThrow();
    expect(() => model.stream('Once')).toThrow(/closed/);
  });

  it('leaves a model the caller gave open, and opens no model when told not to', async () => {
    const first = await assembleGalen(config({ model: { path: STORIES } }), { logger: createLogger('silent') });
    const given = await assembleGalen(config({}), { logger: createLogger('silent'), model: first.model! });
    expect(given.answers().mode).toBe('generative');
    await given.close();
    const stream = await first.model!.stream('Once', { maxNewTokens: 2 }); // still open
    expect((await stream.result).usage.completionTokens).toBe(2);
    await first.close();
    const none = await assembleGalen(config({ model: { path: STORIES } }), { logger: createLogger('silent'), model: false });
    expect(none.model).toBeUndefined();
    expect(none.answers().mode).toBe('extractive');
    await none.close();
  });
});
