import { z } from 'zod';

/**
 * Galen's whole configuration. Every key has a default, so an empty environment runs the embedded
 * defaults (SQLite store in ./data, seed corpus, loopback only).
 */
export const ConfigSchema = z
  .object({
    /** Where the store and indexes live. Env `GALEN_DATA_DIR`, flag `--data`. Default `./data`. */
    dataDir: z.string().min(1).default('./data'),
    server: z
      .object({
        /** Interface to bind. Env `GALEN_HOST`. Default `127.0.0.1` (loopback only). */
        host: z.string().min(1).default('127.0.0.1'),
        /** TCP port. Env `GALEN_PORT`. Default `8080`; 0 picks a free port. */
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080 }),
    log: z
      .object({
        /** pino level. Env `GALEN_LOG_LEVEL`. Default `info`. */
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
    ingest: z
      .object({
        /** Largest chunk in characters. Env `GALEN_CHUNK_CHARS`. Default 1500. */
        chunkChars: z.number().int().min(200).max(20000).default(1500),
        /** Overlap between consecutive chunks of a section, in characters. Env `GALEN_CHUNK_OVERLAP`. Default 200. */
        chunkOverlap: z.number().int().min(0).max(5000).default(200),
        /** Largest input file, MiB. Env `GALEN_MAX_FILE_MB`. Default 2048. */
        maxFileMb: z.number().positive().max(1024 * 1024).default(2048),
        /** Largest file read whole / largest record, MiB. Env `GALEN_MAX_RECORD_MB`. Default 64. */
        maxRecordMb: z.number().positive().max(4096).default(64),
      })
      .strict()
      .default({ chunkChars: 1500, chunkOverlap: 200, maxFileMb: 2048, maxRecordMb: 64 }),
    wikipedia: z
      .object({
        /** Search live Wikipedia (any MediaWiki) for evidence. Env `GALEN_WIKIPEDIA`. Default true. */
        enabled: z.boolean().default(true),
        /** MediaWiki API endpoint. Env `GALEN_WIKIPEDIA_URL`. Default English Wikipedia. */
        apiUrl: z.string().url().default('https://en.wikipedia.org/w/api.php'),
        /** Time Wikipedia may take per question, ms. Env `GALEN_WIKIPEDIA_BUDGET_MS`. Default 1500. */
        budgetMs: z.number().int().min(50).max(60_000).default(1500),
      })
      .strict()
      .default({ enabled: true, apiUrl: 'https://en.wikipedia.org/w/api.php', budgetMs: 1500 }),
    model: z
      .object({
        /** Generator model directory (config.json, tokenizer files, onnx/model*.onnx). Env `GALEN_MODEL`. Default none: extractive answers. */
        path: z.string().min(1).optional(),
        /** onnxruntime execution provider. Env `GALEN_EXECUTION_PROVIDER`. Default `cpu`. */
        executionProvider: z.enum(['cpu', 'cuda']).default('cpu'),
        /** CUDA device id. Env `GALEN_CUDA_DEVICE`. Default 0. */
        cudaDeviceId: z.number().int().min(0).default(0),
        /** Run on CPU, with a warning, when the CUDA provider cannot be loaded. Env `GALEN_CPU_FALLBACK`. Default false. */
        allowCpuFallback: z.boolean().default(false),
      })
      .strict()
      .default({ executionProvider: 'cpu', cudaDeviceId: 0, allowCpuFallback: false }),
    seed: z
      .object({
        /** Ingest the bundled MedQuAD seed corpus when the store is empty at server start. Env `GALEN_SEED`. Default true. */
        enabled: z.boolean().default(true),
      })
      .strict()
      .default({ enabled: true }),
  })
  .strict();

export type GalenConfig = z.infer<typeof ConfigSchema>;

/** Environment variables and the config key each sets; the value is parsed as that key's type. */
export const ENV_KEYS: Readonly<Record<string, { path: string[]; type: 'string' | 'number' | 'boolean' }>> = {
  GALEN_DATA_DIR: { path: ['dataDir'], type: 'string' },
  GALEN_HOST: { path: ['server', 'host'], type: 'string' },
  GALEN_PORT: { path: ['server', 'port'], type: 'number' },
  GALEN_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
  GALEN_CHUNK_CHARS: { path: ['ingest', 'chunkChars'], type: 'number' },
  GALEN_CHUNK_OVERLAP: { path: ['ingest', 'chunkOverlap'], type: 'number' },
  GALEN_MAX_FILE_MB: { path: ['ingest', 'maxFileMb'], type: 'number' },
  GALEN_MAX_RECORD_MB: { path: ['ingest', 'maxRecordMb'], type: 'number' },
  GALEN_SEED: { path: ['seed', 'enabled'], type: 'boolean' },
  GALEN_WIKIPEDIA: { path: ['wikipedia', 'enabled'], type: 'boolean' },
  GALEN_WIKIPEDIA_URL: { path: ['wikipedia', 'apiUrl'], type: 'string' },
  GALEN_WIKIPEDIA_BUDGET_MS: { path: ['wikipedia', 'budgetMs'], type: 'number' },
  GALEN_MODEL: { path: ['model', 'path'], type: 'string' },
  GALEN_EXECUTION_PROVIDER: { path: ['model', 'executionProvider'], type: 'string' },
  GALEN_CUDA_DEVICE: { path: ['model', 'cudaDeviceId'], type: 'number' },
  GALEN_CPU_FALLBACK: { path: ['model', 'allowCpuFallback'], type: 'boolean' },
};
