import type { KnowledgeStore } from '../../knowledge/index.js';
import type { RetrievalPipeline } from '../../retrieval/pipeline/index.js';
import type { AnswerPipeline } from '../answer/index.js';
import type { RequestHandler } from 'express';
import type { CdsHooks } from '../cds-hooks/index.js';
import type { PatientFetchOptions } from '../fhir/index.js';
import type { FeedbackLog } from '../feedback/index.js';
import type { KnowledgeJobs } from '../jobs/index.js';
import type { AuditLog } from '../logging/audit-log.js';
import type { Logger } from '../logging/logger.js';
import type { GalenMetrics } from '../metrics/index.js';
import type { SecurityLayer } from '../security/index.js';
import type { UpstreamHealthCache } from './upstream-health.js';

/** Why the server is not ready, or null when it is. */
export type Unreadiness = { reason: string } | null;

/** What the HTTP app needs. */
export interface AppContext {
  store: KnowledgeStore;
  logger: Logger;
  /** Why the server cannot answer yet (seed corpus going in, shutting down), or null when it can; for `/readyz` and 503 answers. */
  unreadiness: () => Unreadiness;
  /**
   * The HNSW index for `/readyz`: `building` while a first start fits the embedder and builds it (or
   * repairs it) in the background — answers use BM25 and Wikipedia meanwhile — then `ready`; absent
   * when dense retrieval is off.
   */
  vectorIndex?: () => { state: 'building' | 'ready' | 'failed'; vectors: number; embedder: string | null };
  /** Running retrieval worker threads, for `/readyz` (0: searches run on the HTTP thread). Default 0. */
  retrievalWorkers?: () => number;
  /** The serving engines' last `/v1/models` probes, for `/readyz` (backend `openai-compatible`); absent otherwise. */
  upstreams?: UpstreamHealthCache;
  /** Galen's version, for `/openapi.json`. Default `0.0.0`. */
  version?: string;
  /** The answer pipeline behind `/v1/chat` and `/v1/chat/completions`. */
  answers: AnswerPipeline;
  /** The evidence finder behind `/v1/retrieve` (and the answers). */
  retrieval: RetrievalPipeline;
  /** Headers, CORS, time and body limits, authentication, rate limit (server/security). */
  security: SecurityLayer;
  /** Prometheus metrics; the answer routes report retrieval times and tokens here. */
  metrics: GalenMetrics;
  /** The audit log of `/v1` requests (routes add `res.locals.audit`). */
  audit: AuditLog;
  /** Knowledge administration jobs (ingest, refresh, remove). */
  jobs: KnowledgeJobs;
  /** Readers' feedback on answers (`POST /v1/feedback`). */
  feedback: FeedbackLog;
  /** How chat requests' `patient: {fhirServer, patientId}` are read. Default: no server allowed. */
  fhir?: Omit<PatientFetchOptions, 'signal'>;
  /** The CDS Hooks service behind `/cds-services` and its authentication (EHR JWTs); absent: not mounted. */
  cds?: { hooks: CdsHooks; authentication: RequestHandler };
}
