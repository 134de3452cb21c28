import { describe, expect, it } from 'vitest';
import { GalenError } from '../../errors/index.js';
import { KnowledgeError } from '../../knowledge/index.js';
import { ModelError } from '../../model/index.js';
import { VectorIndexError } from '../../retrieval/vector/index.js';
import { AnswerError } from '../../server/answer/index.js';
import { toApiError } from '../../server/http/http-errors.js';
import { JobError } from '../../server/jobs/index.js';
import { SecurityError } from '../../server/security/index.js';

describe('one error base class and one code → status table', () => {
  it('every layer raises a GalenError with a code', () => {
    for (const e of [
      new KnowledgeError('SOURCE_NOT_FOUND', 'x'),
      new ModelError('BUSY', 'x'),
      new VectorIndexError('CLOSED', 'x'),
      new AnswerError('INVALID_REQUEST', 'x'),
      new JobError('QUEUE_FULL', 'x'),
      new SecurityError('FORBIDDEN', 'x'),
    ]) {
      expect(e).toBeInstanceOf(GalenError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).not.toBe('Error');
    }
  });

  it('maps a code to the same status whichever layer raised it', () => {
    expect(toApiError(new KnowledgeError('SOURCE_NOT_FOUND', 'No source named x.')).status).toBe(404);
    expect(toApiError(new SecurityError('FORBIDDEN', 'no')).status).toBe(403);
    expect(toApiError(new JobError('UPLOAD_TIMEOUT', 'slow')).status).toBe(408);
    expect(toApiError(new ModelError('INVALID_OPTIONS', 'bad')).status).toBe(400);
    expect(toApiError(new VectorIndexError('INVALID_OPTIONS', 'bad')).status).toBe(400);
  });

  it('asks to retry a full queue, and hides internal failures behind INTERNAL', () => {
    const busy = toApiError(new AnswerError('BUSY', 'busy'));
    expect([busy.status, busy.code, busy.headers['Retry-After']]).toEqual([503, 'BUSY', '2']);
    const internal = toApiError(new KnowledgeError('STORE_OPEN_FAILED', 'Cannot open /srv/galen/galen.sqlite'));
    expect([internal.status, internal.code, internal.message]).toEqual([500, 'INTERNAL', 'Internal error.']);
    const failed = toApiError(new AnswerError('GENERATION_FAILED', 'onnxruntime: bad alloc'));
    expect([failed.status, failed.message]).toEqual([500, 'The model failed while answering.']);
  });
});
