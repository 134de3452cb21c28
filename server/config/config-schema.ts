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
        /** How long shutdown waits for in-flight requests (streams included) before cutting them, ms. Env `GALEN_SHUTDOWN_GRACE_MS`. Default 10000. */
        shutdownGraceMs: z.number().int().min(0).max(600_000).default(10_000),
        /**
         * Worker threads that run the corpus (BM25) and vector searches, so that concurrent questions
         * use more than one core; 0 runs them on the HTTP thread. Each worker holds its own store
         * connection, embedder and copy of the vector index: with the seed corpus the server's memory
         * goes from about 340 MiB to 810 MiB with 2 workers, and the index part grows by about 1.2 KiB
         * per chunk at 256 dimensions. Env `GALEN_RETRIEVAL_WORKERS`. Default 2 (measured on 2 cores,
         * `/v1/retrieve` at 16 connections, 512 distinct questions: 209 req/s with p99 150 ms on the
         * HTTP thread, 304–360 req/s with p99 75–97 ms on 2 workers; runs in `retrieval/workers`).
         */
        retrievalWorkers: z.number().int().min(0).max(64).default(2),
        /** Open client connections the server accepts at once; more are closed as they arrive. Env `GALEN_MAX_CONNECTIONS`. Default 1024. */
        maxConnections: z.number().int().min(1).max(1_000_000).default(1024),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, shutdownGraceMs: 10_000, retrievalWorkers: 2, maxConnections: 1024 }),
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
        maxFileMb: z
          .number()
          .positive()
          .max(1024 * 1024)
          .default(2048),
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
        /**
         * Who generates: `onnx` (Galen's own runtime, `model.path` / `model.base`) or
         * `openai-compatible` (a serving engine at `upstream.urls`: vLLM, TGI, llama.cpp server,
         * Ollama). Env `GALEN_MODEL_BACKEND`. Default `onnx`.
         */
        backend: z.enum(['onnx', 'openai-compatible']).default('onnx'),
        /** Generator model directory (config.json, tokenizer files, onnx/model*.onnx). Env `GALEN_MODEL`. Default none: extractive answers. */
        path: z.string().min(1).optional(),
        /**
         * A LLaMA checkpoint to build the generator from (Hugging Face folder or `.safetensors`, or a llama2.c
         * `.bin`), merged with `adapters` at start and cached under `<dataDir>/models` by content hash; instead
         * of `path`. Env `GALEN_MODEL_BASE`. Default none.
         */
        base: z.string().min(1).optional(),
        /** PEFT LoRA adapter folders merged into `base`, in order. Env `GALEN_LORA`, comma-separated. Default none. */
        adapters: z
          .preprocess(
            (v) =>
              typeof v === 'string'
                ? v
                    .split(',')
                    .map((a) => a.trim())
                    .filter(Boolean)
                : v,
            z.array(z.string().min(1)).max(16),
          )
          .default([]),
        /** Factor on every adapter's alpha/r. Env `GALEN_LORA_SCALE`. Default 1. */
        loraScale: z.number().min(0).max(100).default(1),
        /** Tokenizer folder for a `base` that has none (a llama2.c `.bin`). Env `GALEN_MODEL_TOKENIZER`. Default: the base's folder. */
        tokenizer: z.string().min(1).optional(),
        /** onnxruntime execution provider. Env `GALEN_EXECUTION_PROVIDER`. Default `cpu`. */
        executionProvider: z.enum(['cpu', 'cuda']).default('cpu'),
        /** CUDA device id. Env `GALEN_CUDA_DEVICE`. Default 0. */
        cudaDeviceId: z.number().int().min(0).default(0),
        /** Run on CPU, with a warning, when the CUDA provider cannot be loaded. Env `GALEN_CPU_FALLBACK`. Default false. */
        allowCpuFallback: z.boolean().default(false),
        /** Context window, tokens (bounds KV-cache memory). Env `GALEN_CONTEXT_WINDOW`. Default: the model's `max_position_embeddings`. */
        contextWindow: z.number().int().min(64).max(1_048_576).optional(),
        /** Answers generated together in one batch. Env `GALEN_MAX_BATCH`. Default 8. */
        maxBatchSize: z.number().int().min(1).max(256).default(8),
        /** Answers waiting for a batch slot; one more is answered 503 with Retry-After. Env `GALEN_MAX_QUEUE`. Default 64. */
        maxQueuedRequests: z.number().int().min(0).max(10_000).default(64),
        /**
         * Prompt tokens read per prefill run; other answers' decode steps run between chunks (a GPU
         * may prefer larger ones). Env `GALEN_PREFILL_CHUNK`. Default 256.
         */
        prefillChunkTokens: z.number().int().min(1).max(1_048_576).default(256),
      })
      .strict()
      .refine((m) => !(m.path && m.base), {
        message: 'set either model.path (a built model) or model.base (a checkpoint to build), not both',
        path: ['base'],
      })
      .refine((m) => m.adapters.length === 0 || m.base !== undefined, {
        message: 'LoRA adapters need model.base (the checkpoint they are merged into)',
        path: ['adapters'],
      })
      .default({
        backend: 'onnx',
        executionProvider: 'cpu',
        cudaDeviceId: 0,
        allowCpuFallback: false,
        maxBatchSize: 8,
        maxQueuedRequests: 64,
        prefillChunkTokens: 256,
        adapters: [],
        loraScale: 1,
      }),
    upstream: z
      .object({
        /** Base URLs of the engines, each ending in `/v1`. Env `GALEN_UPSTREAM_URL`, comma-separated. Default none (required by `openai-compatible`). */
        urls: z
          .preprocess(
            (v) =>
              typeof v === 'string'
                ? v
                    .split(',')
                    .map((a) => a.trim())
                    .filter(Boolean)
                : v,
            z
              .array(
                z
                  .string()
                  .url()
                  .regex(/\/v1\/?$/, 'each upstream URL must end in /v1'),
              )
              .max(64),
          )
          .default([]),
        /** The served model or LoRA adapter name (vLLM `--lora-modules` name). Env `GALEN_UPSTREAM_MODEL`. Default: the first the engine lists. */
        model: z.string().min(1).optional(),
        /** Bearer token sent to the engines. Env `GALEN_UPSTREAM_API_KEY`. Default none. */
        apiKey: z.string().min(1).optional(),
        /** Context window, tokens, when the engine does not report one. Env `GALEN_UPSTREAM_CONTEXT_WINDOW`. Default: the engine's `max_model_len`, else 4096. */
        contextWindow: z.number().int().min(64).max(10_485_760).optional(),
        /** The model's tokenizer folder, for exact context packing. Env `GALEN_UPSTREAM_TOKENIZER`. Default: the engine's `/tokenize`, else an estimate. */
        tokenizer: z.string().min(1).optional(),
        /** `chat` (`/v1/chat/completions`, the engine's chat template) or `completions` (`/v1/completions` with a prompt Galen renders with `upstream.tokenizer`'s template). Env `GALEN_UPSTREAM_API`. Default `chat`. */
        api: z.enum(['chat', 'completions']).default('chat'),
        /** Time to the first token before the attempt counts as failed, ms. Env `GALEN_UPSTREAM_FIRST_TOKEN_TIMEOUT_MS`. Default 30000. */
        firstTokenTimeoutMs: z.number().int().min(10).max(600_000).default(30_000),
        /** Longest silence between tokens once streaming, ms. Env `GALEN_UPSTREAM_IDLE_TIMEOUT_MS`. Default 30000. */
        idleTimeoutMs: z.number().int().min(10).max(600_000).default(30_000),
        /** Requests in flight per engine; more wait for a free one (or get 503). Env `GALEN_UPSTREAM_MAX_CONCURRENT`. Default 64. */
        maxConcurrent: z.number().int().min(1).max(100_000).default(64),
        /** Other attempts before the first token (another engine when there is one). Env `GALEN_UPSTREAM_RETRIES`. Default 2. */
        retries: z.number().int().min(0).max(10).default(2),
        /** Consecutive failures that take an engine out. Env `GALEN_UPSTREAM_BREAKER_FAILURES`. Default 3. */
        breakerFailures: z.number().int().min(1).max(1000).default(3),
        /** How long an engine stays out before one trial request, ms. Env `GALEN_UPSTREAM_BREAKER_COOLDOWN_MS`. Default 10000. */
        breakerCooldownMs: z.number().int().min(10).max(3_600_000).default(10_000),
        /** With every engine down: `none` (503 with Retry-After) or `extractive` (answer from the passages). Env `GALEN_UPSTREAM_FALLBACK`. Default `none`. */
        fallback: z.enum(['none', 'extractive']).default('none'),
      })
      .strict()
      .default({
        urls: [],
        api: 'chat',
        firstTokenTimeoutMs: 30_000,
        idleTimeoutMs: 30_000,
        maxConcurrent: 64,
        retries: 2,
        breakerFailures: 3,
        breakerCooldownMs: 10_000,
        fallback: 'none',
      }),
    vectors: z
      .object({
        /** Dense retrieval: an HNSW index of chunk embeddings beside the store, kept in step with it. Env `GALEN_VECTORS`. Default true. */
        enabled: z.boolean().default(true),
        /**
         * Weight of the standardised cosine similarity in the corpus score fusion; 0 keeps the index but
         * ranks by BM25 alone. Env `GALEN_VECTOR_WEIGHT`. Default 0.01 (measured: with the built-in LSA
         * embedder dense evidence helps only as a tie-breaker; see `retrieval/pipeline`).
         */
        weight: z.number().min(0).max(100).default(0.01),
        /** HNSW search candidate list size. Env `GALEN_VECTOR_EF_SEARCH`. Default 128 (recall@10 0.988 against exact search on the shared corpus). */
        efSearch: z.number().int().min(1).max(10_000).default(128),
        /** Dimension of the built-in LSA embedder. Env `GALEN_LSA_DIMENSION`. Default 256. */
        lsaDimension: z.number().int().min(1).max(4096).default(256),
        /**
         * A sentence-transformers ONNX encoder folder (`config.json`, `tokenizer.json`, `onnx/model.onnx`,
         * optional `1_Pooling/`) used instead of the built-in LSA embedder; changing it rebuilds the index.
         * Env `GALEN_EMBEDDER`. Default none (built-in LSA, fitted to the corpus).
         */
        embedder: z.string().min(1).optional(),
        /** An ONNX cross-encoder folder that reorders the best fused candidates. Env `GALEN_RERANKER`. Default none. */
        reranker: z.string().min(1).optional(),
      })
      .strict()
      .default({ enabled: true, weight: 0.01, efSearch: 128, lsaDimension: 256 }),
    ranking: z
      .object({
        /**
         * Learned ranking of the best local candidates (BM25, question entailment, focus and type
         * match, vectors): `retrieval/ranking`. Env `GALEN_RANKING`. Default true; false keeps the fused order.
         */
        enabled: z.boolean().default(true),
        /** A ranker model file (`galen eval train-ranker --out`). Env `GALEN_RANKER_MODEL`. Default the shipped `retrieval/ranking/ranker-model.json`. */
        model: z.string().min(1).optional(),
      })
      .strict()
      .default({ enabled: true }),
    answer: z
      .object({
        /** Passages retrieved and given to the answerer per question. Env `GALEN_ANSWER_PASSAGES`. Default 5. */
        passages: z.number().int().min(1).max(20).default(5),
        /** Most tokens a generated answer may have (at most half the context window). Env `GALEN_MAX_NEW_TOKENS`. Default 256. */
        maxNewTokens: z.number().int().min(1).max(8192).default(256),
        /** Sampling temperature of generated answers. Env `GALEN_TEMPERATURE`. Default: the model's generation_config.json (greedy when it says nothing). */
        temperature: z.number().min(0).max(2).optional(),
        /**
         * Least focus match (0–1) between a question and a passage's title for the passage to count as
         * being about it; when no passage reaches it, the answer abstains. Env `GALEN_ANSWER_FOCUS_THRESHOLD`. Default 0.6.
         */
        focusThreshold: z.number().min(0).max(1).default(0.6),
      })
      .strict()
      .default({ passages: 5, maxNewTokens: 256, focusThreshold: 0.6 }),
    seed: z
      .object({
        /** Ingest the bundled MedQuAD seed corpus when the store is empty at server start. Env `GALEN_SEED`. Default true. */
        enabled: z.boolean().default(true),
      })
      .strict()
      .default({ enabled: true }),
    fhir: z
      .object({
        /** FHIR servers (origins, e.g. `https://ehr.example.org`) that chat requests may name in `patient.fhirServer`; any other is refused. Env `GALEN_FHIR_SERVERS`, comma-separated. Default none. */
        allowedServers: z
          .preprocess(
            (v) =>
              typeof v === 'string'
                ? v
                    .split(',')
                    .map((o) => o.trim())
                    .filter(Boolean)
                : v,
            z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'a FHIR server origin is scheme://host[:port] (no path)')),
          )
          .default([]),
        /** Time for reading a patient from a FHIR server (all searches, pages included), ms. Env `GALEN_FHIR_TIMEOUT_MS`. Default 2500. */
        timeoutMs: z.number().int().min(100).max(60_000).default(2500),
        /** Most Bundle pages followed per search. Env `GALEN_FHIR_MAX_PAGES`. Default 10. */
        maxPages: z.number().int().min(1).max(100).default(10),
      })
      .strict()
      .default({ allowedServers: [], timeoutMs: 2500, maxPages: 10 }),
    cds: z
      .object({
        /** JSON file listing the EHRs trusted to call `/cds-services`: `[{"iss": "…", "jwksUrl": "…"}]` or with `jwksFile`. Env `GALEN_CDS_ISSUERS`. Default none (every call refused unless `insecure`). */
        issuersFile: z.string().min(1).optional(),
        /** Galen's public base URL (`https://galen.example.org`) behind a proxy; the JWT `aud` must be `<publicUrl>/cds-services/<id>`. Env `GALEN_PUBLIC_URL`. Default: the scheme and Host of the request. */
        publicUrl: z
          .string()
          .regex(/^https?:\/\/[^\s]+$/, 'a URL such as https://galen.example.org')
          .transform((u) => u.replace(/\/+$/, ''))
          .optional(),
        /** Accept CDS Hooks calls without a valid JWT: local testing only, logged loudly at start. Env `GALEN_CDS_INSECURE`. Default false. */
        insecure: z.boolean().default(false),
        /** Time a hook may spend fetching from the EHR's FHIR server before answering with a could-not-gather card, ms. Env `GALEN_CDS_FHIR_TIMEOUT_MS`. Default 2000. */
        fhirTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
        /** Feedback file (JSON lines). Env `GALEN_CDS_FEEDBACK_FILE`. Default `<dataDir>/cds-feedback.jsonl`. */
        feedbackFile: z.string().min(1).optional(),
      })
      .strict()
      .default({ insecure: false, fhirTimeoutMs: 2000 }),
    security: z
      .object({
        /** What a request without an API key may do on loopback: `none`, `clinician` (ask, retrieve) or `admin`. Beyond loopback every route needs a key. Env `GALEN_ANONYMOUS_ROLE`. Default `clinician`. */
        anonymousRole: z.enum(['none', 'clinician', 'admin']).default('clinician'),
        /** Requests per minute per API key (per client IP when anonymous); 0 turns limiting off. Env `GALEN_RATE_LIMIT`. Default 300. */
        rateLimitPerMinute: z.number().int().min(0).default(300),
        /** Largest JSON request body, KiB. Env `GALEN_MAX_BODY_KB`. Default 256. */
        maxBodyKb: z
          .number()
          .int()
          .min(1)
          .max(100 * 1024)
          .default(256),
        /** Largest knowledge upload (`POST /v1/knowledge/ingest`), MiB. Env `GALEN_MAX_UPLOAD_MB`. Default 512. */
        maxUploadMb: z
          .number()
          .positive()
          .max(1024 * 1024)
          .default(512),
        /** Time a request may take before its response starts, ms (uploads excepted). Env `GALEN_REQUEST_TIMEOUT_MS`. Default 30000. */
        requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
        /** A knowledge upload with no byte for this long is refused with 408 `UPLOAD_TIMEOUT` (uploads are exempt from `requestTimeoutMs`), seconds. Env `GALEN_UPLOAD_IDLE_TIMEOUT_S`. Default 30. */
        uploadIdleTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
        /** Requests with a bad API key allowed per client address per minute before 429 `TOO_MANY_AUTH_FAILURES` (apart from `rateLimitPerMinute`); 0 turns it off. Env `GALEN_AUTH_FAILURE_LIMIT`. Default 20. */
        authFailuresPerMinute: z.number().int().min(0).default(20),
        /** Host names (the `Host` header) Galen answers to besides loopback names (`localhost`, 127.0.0.1, `[::1]`) and `server.host`; others get 421 `MISDIRECTED_REQUEST` (DNS rebinding). `*` accepts any. Env `GALEN_ALLOWED_HOSTS`, comma-separated. Default none. */
        allowedHosts: z
          .preprocess(
            (v) =>
              typeof v === 'string'
                ? v
                    .split(',')
                    .map((h) => h.trim())
                    .filter(Boolean)
                : v,
            z.array(
              z
                .string()
                .regex(
                  /^(\*|[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/,
                  'a host name is a name or IP address without scheme, port or path, or *',
                ),
            ),
          )
          .default([]),
        /** Galen sits behind a reverse proxy that sets `X-Forwarded-For`: the client address (rate limits) is read from it and anonymous access stays allowed. Otherwise a request carrying `X-Forwarded-For` or `Forwarded` is not anonymous (it came through a proxy). Env `GALEN_TRUST_PROXY`. Default false. */
        trustProxy: z.boolean().default(false),
        /** Browser origins allowed to call Galen (CORS), e.g. `https://ehr.example.org`; `*` for any. Env `GALEN_CORS_ORIGINS`, comma-separated. Default none: CORS off. */
        corsOrigins: z
          .preprocess(
            (v) =>
              typeof v === 'string'
                ? v
                    .split(',')
                    .map((o) => o.trim())
                    .filter(Boolean)
                : v,
            z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'an origin is scheme://host[:port] (no path), or *')),
          )
          .default([]),
        audit: z
          .object({
            /** Write the audit log (who, when, route, status, latency, triage level, sources). Env `GALEN_AUDIT`. Default true. */
            enabled: z.boolean().default(true),
            /** Audit log file (JSON lines). Env `GALEN_AUDIT_FILE`. Default `<dataDir>/audit.log`. */
            file: z.string().min(1).optional(),
            /** Also log question text, with names, phone numbers, e-mails, dates and record numbers redacted. Env `GALEN_AUDIT_QUESTIONS`. Default false. */
            includeQuestions: z.boolean().default(false),
            /** Rotate the audit log before it passes this size, bytes (`audit.log` → `audit.log.1` …); 0: never (rotate it yourself, then send SIGHUP). Env `GALEN_AUDIT_MAX_BYTES`. Default 67108864 (64 MiB). */
            maxBytes: z
              .number()
              .int()
              .min(0)
              .max(2 ** 40)
              .refine((n) => n === 0 || n >= 1024, 'at least 1024 bytes, or 0 for no rotation by size')
              .default(64 * 2 ** 20),
            /** Rotated audit files kept (`audit.log.1` newest … `audit.log.<n>`); older ones are deleted. Env `GALEN_AUDIT_KEEP_FILES`. Default 5. */
            keepFiles: z.number().int().min(0).max(1000).default(5),
          })
          .strict()
          .default({ enabled: true, includeQuestions: false, maxBytes: 64 * 2 ** 20, keepFiles: 5 }),
      })
      .strict()
      .default({
        anonymousRole: 'clinician',
        rateLimitPerMinute: 300,
        maxBodyKb: 256,
        maxUploadMb: 512,
        requestTimeoutMs: 30_000,
        uploadIdleTimeoutSeconds: 30,
        authFailuresPerMinute: 20,
        allowedHosts: [],
        trustProxy: false,
        corsOrigins: [],
        audit: { enabled: true, includeQuestions: false, maxBytes: 64 * 2 ** 20, keepFiles: 5 },
      }),
  })
  .strict()
  .refine((c) => c.model.backend !== 'openai-compatible' || c.upstream.urls.length > 0, {
    message: 'model.backend openai-compatible needs at least one upstream URL (GALEN_UPSTREAM_URL)',
    path: ['upstream', 'urls'],
  });

export type GalenConfig = z.infer<typeof ConfigSchema>;

/** Environment variables and the config key each sets; the value is parsed as that key's type. */
export const ENV_KEYS: Readonly<Record<string, { path: string[]; type: 'string' | 'number' | 'boolean' }>> = {
  GALEN_DATA_DIR: { path: ['dataDir'], type: 'string' },
  GALEN_HOST: { path: ['server', 'host'], type: 'string' },
  GALEN_PORT: { path: ['server', 'port'], type: 'number' },
  GALEN_SHUTDOWN_GRACE_MS: { path: ['server', 'shutdownGraceMs'], type: 'number' },
  GALEN_RETRIEVAL_WORKERS: { path: ['server', 'retrievalWorkers'], type: 'number' },
  GALEN_MAX_CONNECTIONS: { path: ['server', 'maxConnections'], type: 'number' },
  GALEN_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
  GALEN_CHUNK_CHARS: { path: ['ingest', 'chunkChars'], type: 'number' },
  GALEN_CHUNK_OVERLAP: { path: ['ingest', 'chunkOverlap'], type: 'number' },
  GALEN_MAX_FILE_MB: { path: ['ingest', 'maxFileMb'], type: 'number' },
  GALEN_MAX_RECORD_MB: { path: ['ingest', 'maxRecordMb'], type: 'number' },
  GALEN_SEED: { path: ['seed', 'enabled'], type: 'boolean' },
  GALEN_WIKIPEDIA: { path: ['wikipedia', 'enabled'], type: 'boolean' },
  GALEN_WIKIPEDIA_URL: { path: ['wikipedia', 'apiUrl'], type: 'string' },
  GALEN_WIKIPEDIA_BUDGET_MS: { path: ['wikipedia', 'budgetMs'], type: 'number' },
  GALEN_VECTORS: { path: ['vectors', 'enabled'], type: 'boolean' },
  GALEN_VECTOR_WEIGHT: { path: ['vectors', 'weight'], type: 'number' },
  GALEN_VECTOR_EF_SEARCH: { path: ['vectors', 'efSearch'], type: 'number' },
  GALEN_LSA_DIMENSION: { path: ['vectors', 'lsaDimension'], type: 'number' },
  GALEN_EMBEDDER: { path: ['vectors', 'embedder'], type: 'string' },
  GALEN_RERANKER: { path: ['vectors', 'reranker'], type: 'string' },
  GALEN_RANKING: { path: ['ranking', 'enabled'], type: 'boolean' },
  GALEN_RANKER_MODEL: { path: ['ranking', 'model'], type: 'string' },
  GALEN_MODEL: { path: ['model', 'path'], type: 'string' },
  GALEN_MODEL_BACKEND: { path: ['model', 'backend'], type: 'string' },
  GALEN_UPSTREAM_URL: { path: ['upstream', 'urls'], type: 'string' },
  GALEN_UPSTREAM_MODEL: { path: ['upstream', 'model'], type: 'string' },
  GALEN_UPSTREAM_API_KEY: { path: ['upstream', 'apiKey'], type: 'string' },
  GALEN_UPSTREAM_CONTEXT_WINDOW: { path: ['upstream', 'contextWindow'], type: 'number' },
  GALEN_UPSTREAM_TOKENIZER: { path: ['upstream', 'tokenizer'], type: 'string' },
  GALEN_UPSTREAM_API: { path: ['upstream', 'api'], type: 'string' },
  GALEN_UPSTREAM_FIRST_TOKEN_TIMEOUT_MS: { path: ['upstream', 'firstTokenTimeoutMs'], type: 'number' },
  GALEN_UPSTREAM_IDLE_TIMEOUT_MS: { path: ['upstream', 'idleTimeoutMs'], type: 'number' },
  GALEN_UPSTREAM_MAX_CONCURRENT: { path: ['upstream', 'maxConcurrent'], type: 'number' },
  GALEN_UPSTREAM_RETRIES: { path: ['upstream', 'retries'], type: 'number' },
  GALEN_UPSTREAM_BREAKER_FAILURES: { path: ['upstream', 'breakerFailures'], type: 'number' },
  GALEN_UPSTREAM_BREAKER_COOLDOWN_MS: { path: ['upstream', 'breakerCooldownMs'], type: 'number' },
  GALEN_UPSTREAM_FALLBACK: { path: ['upstream', 'fallback'], type: 'string' },
  GALEN_MODEL_BASE: { path: ['model', 'base'], type: 'string' },
  GALEN_LORA: { path: ['model', 'adapters'], type: 'string' },
  GALEN_LORA_SCALE: { path: ['model', 'loraScale'], type: 'number' },
  GALEN_MODEL_TOKENIZER: { path: ['model', 'tokenizer'], type: 'string' },
  GALEN_EXECUTION_PROVIDER: { path: ['model', 'executionProvider'], type: 'string' },
  GALEN_CUDA_DEVICE: { path: ['model', 'cudaDeviceId'], type: 'number' },
  GALEN_CPU_FALLBACK: { path: ['model', 'allowCpuFallback'], type: 'boolean' },
  GALEN_CONTEXT_WINDOW: { path: ['model', 'contextWindow'], type: 'number' },
  GALEN_MAX_BATCH: { path: ['model', 'maxBatchSize'], type: 'number' },
  GALEN_MAX_QUEUE: { path: ['model', 'maxQueuedRequests'], type: 'number' },
  GALEN_PREFILL_CHUNK: { path: ['model', 'prefillChunkTokens'], type: 'number' },
  GALEN_ANSWER_PASSAGES: { path: ['answer', 'passages'], type: 'number' },
  GALEN_ANSWER_FOCUS_THRESHOLD: { path: ['answer', 'focusThreshold'], type: 'number' },
  GALEN_MAX_NEW_TOKENS: { path: ['answer', 'maxNewTokens'], type: 'number' },
  GALEN_TEMPERATURE: { path: ['answer', 'temperature'], type: 'number' },
  GALEN_FHIR_SERVERS: { path: ['fhir', 'allowedServers'], type: 'string' },
  GALEN_FHIR_TIMEOUT_MS: { path: ['fhir', 'timeoutMs'], type: 'number' },
  GALEN_FHIR_MAX_PAGES: { path: ['fhir', 'maxPages'], type: 'number' },
  GALEN_CDS_ISSUERS: { path: ['cds', 'issuersFile'], type: 'string' },
  GALEN_PUBLIC_URL: { path: ['cds', 'publicUrl'], type: 'string' },
  GALEN_CDS_INSECURE: { path: ['cds', 'insecure'], type: 'boolean' },
  GALEN_CDS_FHIR_TIMEOUT_MS: { path: ['cds', 'fhirTimeoutMs'], type: 'number' },
  GALEN_CDS_FEEDBACK_FILE: { path: ['cds', 'feedbackFile'], type: 'string' },
  GALEN_ANONYMOUS_ROLE: { path: ['security', 'anonymousRole'], type: 'string' },
  GALEN_RATE_LIMIT: { path: ['security', 'rateLimitPerMinute'], type: 'number' },
  GALEN_MAX_BODY_KB: { path: ['security', 'maxBodyKb'], type: 'number' },
  GALEN_MAX_UPLOAD_MB: { path: ['security', 'maxUploadMb'], type: 'number' },
  GALEN_REQUEST_TIMEOUT_MS: { path: ['security', 'requestTimeoutMs'], type: 'number' },
  GALEN_CORS_ORIGINS: { path: ['security', 'corsOrigins'], type: 'string' },
  GALEN_UPLOAD_IDLE_TIMEOUT_S: { path: ['security', 'uploadIdleTimeoutSeconds'], type: 'number' },
  GALEN_AUTH_FAILURE_LIMIT: { path: ['security', 'authFailuresPerMinute'], type: 'number' },
  GALEN_ALLOWED_HOSTS: { path: ['security', 'allowedHosts'], type: 'string' },
  GALEN_TRUST_PROXY: { path: ['security', 'trustProxy'], type: 'boolean' },
  GALEN_AUDIT: { path: ['security', 'audit', 'enabled'], type: 'boolean' },
  GALEN_AUDIT_FILE: { path: ['security', 'audit', 'file'], type: 'string' },
  GALEN_AUDIT_QUESTIONS: { path: ['security', 'audit', 'includeQuestions'], type: 'boolean' },
  GALEN_AUDIT_MAX_BYTES: { path: ['security', 'audit', 'maxBytes'], type: 'number' },
  GALEN_AUDIT_KEEP_FILES: { path: ['security', 'audit', 'keepFiles'], type: 'number' },
};
