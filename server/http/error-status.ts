import type { KnowledgeErrorCode } from '../../knowledge/index.js';
import type { ModelBuildErrorCode } from '../../model/builder/index.js';
import type { EmbeddingErrorCode } from '../../model/embedding/index.js';
import type { ModelErrorCode } from '../../model/index.js';
import type { EvaluationErrorCode } from '../../retrieval/evaluation/index.js';
import type { VectorIndexErrorCode } from '../../retrieval/vector/index.js';
import type { WikipediaErrorCode } from '../../retrieval/wikipedia/index.js';
import type { RetrievalWorkerErrorCode } from '../../retrieval/workers/index.js';
import type { AnswerErrorCode } from '../answer/index.js';
import type { CdsRequestError } from '../cds-hooks/cds-hooks.js';
import type { UsageError } from '../cli/cli-context.js';
import type { ConfigError } from '../config/load-config.js';
import type { FhirError } from '../fhir/fhir-client.js';
import type { JobErrorCode } from '../jobs/index.js';
import type { SecurityErrorCode } from '../security/index.js';
import type { ListenError } from './listen-error.js';

/** Every code a {@link GalenError} subclass can carry, across all layers. */
export type GalenErrorCode =
  | KnowledgeErrorCode
  | ModelErrorCode
  | ModelBuildErrorCode
  | EmbeddingErrorCode
  | EvaluationErrorCode
  | VectorIndexErrorCode
  | WikipediaErrorCode
  | RetrievalWorkerErrorCode
  | AnswerErrorCode
  | JobErrorCode
  | SecurityErrorCode
  | CdsRequestError['code']
  | FhirError['code']
  | ConfigError['code']
  | UsageError['code']
  | ListenError['code'];

/**
 * The one code → HTTP status table. A code means the same everywhere (`INVALID_OPTIONS` is a
 * 400 whichever layer raised it), and the type makes a new code without a status a compile error.
 * 5xx other than 503 reach clients as `INTERNAL` (see toApiError); the table still says what the
 * failure is, for the log and metrics.
 */
export const ERROR_STATUS = {
  // Requests that are wrong.
  INVALID_REQUEST: 400,
  INVALID_INPUT: 400,
  INVALID_OPTIONS: 400,
  INVALID_ARGUMENT: 400,
  INVALID_SOURCE_NAME: 400,
  INVALID_ROLE: 400,
  INVALID_UPLOAD: 400,
  INVALID_SET: 400,
  INVALID_VECTORS: 400,
  INVALID_CDS_REQUEST: 400,
  INVALID_CHECKPOINT: 400,
  INVALID_ADAPTER: 400,
  INPUT_NOT_FOUND: 400,
  UNSUPPORTED: 400,
  UNKNOWN_FORMAT: 400,
  UNKNOWN_SOURCE: 400,
  FHIR_SERVER_NOT_ALLOWED: 400,
  // Who is asking.
  API_KEY_REQUIRED: 401,
  INVALID_API_KEY: 401,
  REVOKED_API_KEY: 401,
  CDS_JWT_REQUIRED: 401,
  CDS_JWT_INVALID: 401,
  CDS_JWT_REPLAYED: 401,
  FORBIDDEN: 403,
  // What is asked for.
  SOURCE_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  SET_NOT_FOUND: 404,
  UNKNOWN_CDS_SERVICE: 404,
  UPLOAD_TIMEOUT: 408,
  JOB_FINISHED: 409,
  CANCELLED: 409,
  OUTPUT_EXISTS: 409,
  UPLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MISDIRECTED_REQUEST: 421,
  RATE_LIMITED: 429,
  TOO_MANY_AUTH_FAILURES: 429,
  // nginx's "client closed request": nobody reads it, but logs and metrics tell it from a failure.
  ABORTED: 499,
  // Galen's own failures.
  GENERATION_FAILED: 500,
  SCHEMA_TOO_NEW: 500,
  STORE_OPEN_FAILED: 500,
  STORE_CORRUPT: 500,
  INGEST_FAILED: 500,
  MODEL_NOT_FOUND: 500,
  INVALID_MODEL: 500,
  EXECUTION_PROVIDER_UNAVAILABLE: 500,
  MODEL_FILE_NOT_FOUND: 500,
  INVALID_MODEL_FILE: 500,
  DIMENSION_MISMATCH: 500,
  EMBEDDER_MISMATCH: 500,
  BUILD_FAILED: 500,
  EMPTY_CORPUS: 500,
  START_FAILED: 500,
  WORKER_CRASHED: 500,
  FAILED: 500,
  KEYS_REQUIRED: 500,
  ACCESS_STORE_FAILED: 500,
  CDS_ISSUERS_INVALID: 500,
  INVALID_CONFIG: 500,
  PORT_IN_USE: 500,
  PORT_FORBIDDEN: 500,
  ADDRESS_UNAVAILABLE: 500,
  LISTEN_FAILED: 500,
  // Services Galen depends on.
  NETWORK: 502,
  HTTP_STATUS: 502,
  BAD_RESPONSE: 502,
  API_ERROR: 502,
  FHIR_HTTP: 502,
  FHIR_NETWORK: 502,
  FHIR_INVALID: 502,
  TIMEOUT: 504,
  FHIR_TIMEOUT: 504,
  // Try again later.
  BUSY: 503,
  UNAVAILABLE: 503,
  UPSTREAM_UNAVAILABLE: 503,
  QUEUE_FULL: 503,
  QUEUE_CLOSED: 503,
  CLOSED: 503,
} as const satisfies Record<GalenErrorCode, number>;

/** The HTTP status for a code; unknown codes (a foreign error) are a 500. */
export function statusOfCode(code: string): number {
  return (ERROR_STATUS as Record<string, number>)[code] ?? 500;
}
