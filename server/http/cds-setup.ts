import { join } from 'node:path';
import type { RetrievalPipeline } from '../../retrieval/pipeline/index.js';
import { CdsHooks } from '../cds-hooks/index.js';
import type { GalenConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { GalenMetrics } from '../metrics/index.js';
import { ehrJwtAuthentication, loadTrustedIssuers } from '../security/index.js';
import type { AppContext } from './app-context.js';
import { cdsAudience } from './cds-routes.js';

/** The CDS Hooks feedback file inside the data directory, unless `cds.feedbackFile` names another. */
export const CDS_FEEDBACK_FILE = 'cds-feedback.jsonl';

/** Passages retrieved per evidence query of a card. */
const CDS_PASSAGES = 5;

/**
 * The CDS Hooks service and its JWT authentication from the `cds` config block. Evidence comes
 * from `retrieval()` (read at each call: the pipelines are rebuilt when the store changes) over
 * the local corpus only, so no patient detail reaches Wikipedia. Refuses to start on a bad
 * issuers file; warns loudly when `insecure` is on, and when no issuer is configured.
 */
export function createCdsSurface(
  config: GalenConfig,
  retrieval: () => RetrievalPipeline,
  metrics: GalenMetrics,
  logger: Logger,
): NonNullable<AppContext['cds']> {
  const issuers = config.cds.issuersFile ? loadTrustedIssuers(config.cds.issuersFile) : [];
  if (config.cds.insecure) {
    logger.warn(
      { cdsInsecure: true },
      'GALEN_CDS_INSECURE is on: /cds-services accepts calls WITHOUT a valid EHR JWT. For local testing only — never expose this server.',
    );
  } else if (!issuers.length) {
    logger.warn('No CDS Hooks issuers are configured (GALEN_CDS_ISSUERS): every /cds-services call will be refused.');
  }
  const hooks = new CdsHooks({
    find: async (query, signal) => {
      const pipeline = retrieval();
      const sources = pipeline.sources.filter((s) => s !== 'wikipedia');
      const result = await pipeline.retrieve(query, { k: CDS_PASSAGES, sources, ...(signal ? { signal } : {}) });
      return result.hits;
    },
    fhirTimeoutMs: config.cds.fhirTimeoutMs,
    maxPages: config.fhir.maxPages,
    feedbackFile: config.cds.feedbackFile ?? join(config.dataDir, CDS_FEEDBACK_FILE),
    registry: metrics.registry,
  });
  const authentication = ehrJwtAuthentication({
    issuers,
    insecure: config.cds.insecure,
    audience: (req) => cdsAudience(req, config.cds.publicUrl),
  });
  return { hooks, authentication };
}
