import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import { AUTHORITY_LEVELS, FORMAT_NAMES, KnowledgeError, KnowledgeStore, type FormatName } from '../../knowledge/index.js';
import type { JobView, KnowledgeJobs } from '../jobs/index.js';
import { liftTimeLimit, requireRole } from '../security/index.js';
import { ApiError } from './api-error.js';
import { clientCode, clientMessage } from './client-message.js';
import { validateBody } from './validate-body.js';

/** What the knowledge administration routes need. */
export interface KnowledgeRoutesContext {
  /** The server's (reading) store: listings and existence checks. */
  store: KnowledgeStore;
  /** The job queue that does the writing. */
  jobs: KnowledgeJobs;
}

const RefreshRequest = z.object({ source: z.string().min(1).max(64) }).strict();

const UploadParams = z.object({
  source: z.string({ error: 'source is required (query parameter or form field)' }).min(1),
  format: z.enum(['auto', ...FORMAT_NAMES], { error: `format must be one of auto, ${FORMAT_NAMES.join(', ')}` }).optional(),
  license: z.string().max(500).optional(),
  attribution: z.string().max(1000).optional(),
  authority: z.enum(AUTHORITY_LEVELS, { error: `authority must be one of ${AUTHORITY_LEVELS.join(', ')}` }).optional(),
});

/**
 * Knowledge administration over HTTP, for the `admin` role only:
 *
 * - `GET /v1/knowledge/sources` → `{ sources }` (as `galen sources`);
 * - `POST /v1/knowledge/ingest?source=S[&format=F&license=L&attribution=A&authority=T&filename=N]` with a raw
 *   body (JSON Lines as `application/x-ndjson`, or any file the ingester reads) or a
 *   `multipart/form-data` upload (file parts; `source`, `format`… as fields or query) → 202 `{ job }`.
 *   The upload is size-limited and streamed to disk; it replaces the source's content (a refresh);
 * - `POST /v1/knowledge/refresh` `{ "source": S }` → 202 `{ job }` (404 for an unknown source);
 * - `DELETE /v1/knowledge/sources/:name` → 202 `{ job }` (404 for an unknown source);
 * - `GET /v1/jobs`, `GET /v1/jobs/:id` → the job with its status and progress; `DELETE /v1/jobs/:id` cancels it.
 *
 * Jobs run one at a time; a 202 carries `Location: /v1/jobs/<id>`.
 *
 * @example
 * app.use(knowledgeRoutes({ store, jobs }));
 * // curl -H "Authorization: Bearer $ADMIN_KEY" -H 'content-type: application/x-ndjson' \
 * //   --data-binary @notes.jsonl 'localhost:8080/v1/knowledge/ingest?source=notes'
 */
export function knowledgeRoutes(ctx: KnowledgeRoutesContext): Router {
  const router = Router();
  const admin = requireRole('admin');

  router.get('/v1/knowledge/sources', admin, (_req, res) => {
    res.json({ sources: ctx.store.listSources() });
  });

  router.post('/v1/knowledge/ingest', admin, async (req, res) => {
    liftTimeLimit(res);
    if (req.is('application/json')) {
      throw new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Send JSON Lines as application/x-ndjson, or files as multipart/form-data; a JSON body is not an upload.',
      );
    }
    const query = stringParams(req.query);
    if (query.source !== undefined) KnowledgeStore.validateSourceName(query.source);
    const upload = await ctx.jobs.receiveUpload(req, { rawName: query.filename ?? defaultName(req) });
    let params: z.infer<typeof UploadParams>;
    try {
      params = validateBody(UploadParams, { ...upload.fields, ...query });
    } catch (error) {
      await ctx.jobs.discard(upload);
      throw error;
    }
    const { source, format, license, attribution, authority } = params;
    const job = await ctx.jobs.ingestUpload(upload, {
      source,
      ...(format ? { format: format as FormatName | 'auto' } : {}),
      ...(license !== undefined ? { license } : {}),
      ...(attribution !== undefined ? { attribution } : {}),
      ...(authority !== undefined ? { authority } : {}),
    });
    accepted(res, job);
  });

  router.post('/v1/knowledge/refresh', admin, (req, res) => {
    const { source } = validateBody(RefreshRequest, req.body);
    ctx.store.getSource(source);
    accepted(res, ctx.jobs.refresh(source));
  });

  router.delete('/v1/knowledge/sources/:name', admin, (req, res) => {
    const name = String(req.params.name);
    ctx.store.getSource(name);
    accepted(res, ctx.jobs.remove(name));
  });

  router.get('/v1/jobs', admin, (_req, res) => {
    res.json({ jobs: ctx.jobs.queue.list().map(clientView) });
  });

  router.get('/v1/jobs/:id', admin, (req, res) => {
    const job = ctx.jobs.queue.get(String(req.params.id));
    if (!job)
      throw new ApiError(
        404,
        'JOB_NOT_FOUND',
        `No job with id ${JSON.stringify(req.params.id)} (finished jobs are forgotten after a restart).`,
      );
    res.json({ job: clientView(job) });
  });

  router.delete('/v1/jobs/:id', admin, (req, res) => {
    res.json({ job: clientView(ctx.jobs.queue.cancel(String(req.params.id))) });
  });

  router.use(toHttpError);
  return router;
}

/** A job as a client sees it: its error without server paths or internal codes (see {@link clientMessage}). */
function clientView(job: JobView): JobView {
  const view = { ...job };
  if (job.error) view.error = { code: clientCode(job.error.code, 'JOB_FAILED'), message: clientMessage(job.error.message) };
  const result = job.result as { rejections?: Array<{ path: string; message: string }> } | undefined;
  if (result && Array.isArray(result.rejections)) {
    view.result = {
      ...result,
      rejections: result.rejections.map((r) => ({ ...r, path: clientMessage(r.path), message: clientMessage(r.message) })),
    };
  }
  return view;
}

function accepted(res: Response, job: JobView): void {
  res.status(202).setHeader('Location', `/v1/jobs/${job.id}`);
  res.json({ job });
}

function stringParams(query: Request['query']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A file name that lets format detection recognise a raw body by its content type. */
function defaultName(req: Request): string {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/markdown') return 'upload.md';
  if (type === 'text/plain') return 'upload.txt';
  if (type === 'application/gzip' || type === 'application/x-gzip') return 'upload.jsonl.gz';
  return 'upload.jsonl';
}

// Statuses come from the one table (toApiError, in the app's error handler).
const toHttpError: ErrorRequestHandler = (error: unknown, req, res, next) => {
  // A refused upload may leave body bytes unread: close the connection rather than read them.
  if (!(error instanceof KnowledgeError) && !req.complete) res.setHeader('Connection', 'close');
  next(error);
};
