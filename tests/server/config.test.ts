import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config/index.js';

describe('configuration', () => {
  it('has embedded defaults', () => {
    expect(loadConfig({ env: {} })).toMatchObject({
      dataDir: './data',
      server: { host: '127.0.0.1', port: 8080, shutdownGraceMs: 10_000, retrievalWorkers: 2 },
      log: { level: 'info' },
      ingest: { chunkChars: 1500, chunkOverlap: 200, maxFileMb: 2048, maxRecordMb: 64 },
      wikipedia: { enabled: true, apiUrl: 'https://en.wikipedia.org/w/api.php', budgetMs: 1500 },
      model: {
        executionProvider: 'cpu',
        cudaDeviceId: 0,
        allowCpuFallback: false,
        maxBatchSize: 8,
        maxQueuedRequests: 64,
        prefillChunkTokens: 256,
      },
      answer: { passages: 5, maxNewTokens: 256 },
      seed: { enabled: true },
    });
    const config = loadConfig({ env: {} });
    expect(config.model.path).toBeUndefined();
    expect(config.answer.temperature).toBeUndefined();
  });

  it('reads GALEN_* variables with their types, flags winning', () => {
    const c = loadConfig({
      env: { GALEN_DATA_DIR: '/srv/galen', GALEN_PORT: '9000', GALEN_SEED: 'false' },
      overrides: { dataDir: '/flag' },
    });
    expect(c).toMatchObject({ dataDir: '/flag', server: { port: 9000 }, seed: { enabled: false } });
    const answer = loadConfig({
      env: {
        GALEN_ANSWER_PASSAGES: '8',
        GALEN_MAX_NEW_TOKENS: '64',
        GALEN_TEMPERATURE: '0.2',
        GALEN_MAX_QUEUE: '0',
        GALEN_PREFILL_CHUNK: '1024',
        GALEN_SHUTDOWN_GRACE_MS: '500',
      },
    });
    expect(answer).toMatchObject({
      answer: { passages: 8, maxNewTokens: 64, temperature: 0.2 },
      model: { maxQueuedRequests: 0, prefillChunkTokens: 1024 },
      server: { shutdownGraceMs: 500 },
    });
    expect(() => loadConfig({ env: { GALEN_PREFILL_CHUNK: '0' } })).toThrow(/GALEN_PREFILL_CHUNK \(model\.prefillChunkTokens\)/);
    expect(() => loadConfig({ env: { GALEN_ANSWER_PASSAGES: '0' } })).toThrow(/GALEN_ANSWER_PASSAGES \(answer\.passages\)/);
  });

  it('names the variable and its value when one is bad', () => {
    expect(() => loadConfig({ env: { GALEN_PORT: '70000' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { GALEN_PORT: '70000' } })).toThrow(/GALEN_PORT \(server\.port\).*got "70000"/);
    expect(() => loadConfig({ env: { GALEN_LOG_LEVEL: 'loud' } })).toThrow(/GALEN_LOG_LEVEL/);
    expect(loadConfig({ env: { GALEN_RETRIEVAL_WORKERS: '0' } }).server.retrievalWorkers).toBe(0);
    expect(() => loadConfig({ env: { GALEN_RETRIEVAL_WORKERS: '-1' } })).toThrow(/GALEN_RETRIEVAL_WORKERS \(server\.retrievalWorkers\)/);
    expect(() => loadConfig({ env: { GALEN_SEED: 'maybe' } })).toThrow(/GALEN_SEED/);
    expect(() => loadConfig({ env: { GALEN_EXECUTION_PROVIDER: 'tpu' } })).toThrow(/GALEN_EXECUTION_PROVIDER \(model\.executionProvider\)/);
  });
});
