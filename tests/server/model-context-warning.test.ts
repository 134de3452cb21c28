import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { contextWindowWarning, MIN_RAG_CONTEXT_TOKENS } from '../../server/assembly/context-window-warning.js';
import { galen } from '../helpers/cli.js';
import { SHARED, tempDir } from '../helpers/paths.js';
import { MINI_CORPUS } from './chat-server.js';

// A generator whose context window cannot hold retrieved passages is named at load, with what it
// means for answers; a large enough one is not.
const tmp = tempDir('galen-context-warning-');
const dataDir = join(tmp.dir, 'data');

beforeAll(async () => {
  const store = KnowledgeStore.open({ dataDir });
  try {
    await ingest(store, { source: 'mini', paths: [MINI_CORPUS], format: 'jsonl' });
  } finally {
    store.close();
  }
});
afterAll(() => tmp.cleanup());

describe('the context window at model load', () => {
  it('warns when a real model (stories260k, 512 tokens) is too small for RAG, and still answers', () => {
    const r = galen(['--data', dataDir, 'ask', 'What is gout?'], {
      GALEN_MODEL: join(SHARED, 'models', 'stories260k'),
      GALEN_WIKIPEDIA: 'false',
      GALEN_VECTORS: 'false',
      GALEN_MAX_NEW_TOKENS: '64',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      "the model's context window is 512 tokens, below the 2048 that retrieval-grounded answers need: with 64 kept for the answer, at most 448 are left",
    );
    expect(r.stderr).toContain('passages are trimmed to their leading sentences');
  });

  it('says nothing from the RAG minimum up', () => {
    expect(contextWindowWarning(MIN_RAG_CONTEXT_TOKENS, 256)).toBeNull();
    expect(contextWindowWarning(8192, 256)).toBeNull();
    expect(contextWindowWarning(MIN_RAG_CONTEXT_TOKENS - 1, 256)).toMatch(/2047 tokens/);
  });
});
