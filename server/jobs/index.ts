/**
 * Long-running work of the server: a one-at-a-time job queue with progress, and the knowledge
 * administration jobs (ingest an upload, refresh, remove) with size-limited uploads streamed to disk.
 */
export { JobError, type JobErrorCode } from './errors.js';
export {
  JobQueue,
  type JobContext,
  type JobProgress,
  type JobQueueOptions,
  type JobSpec,
  type JobStatus,
  type JobView,
} from './job-queue.js';
export { safeFileName, spoolUpload, type SpooledUpload, type SpoolOptions } from './upload-spool.js';
export { KnowledgeJobs, UPLOADS_DIR, type IngestJobResult, type KnowledgeJobsOptions, type UploadIngestOptions } from './knowledge-jobs.js';
