import { Router } from 'express';
import { z } from 'zod';
import type { FeedbackLog } from '../feedback/index.js';
import { describePrincipal, requireRole } from '../security/index.js';
import { MAX_MESSAGE_CHARS } from './request-schemas.js';
import { validateBody } from './validate-body.js';

/** Longest feedback note, characters. */
export const MAX_NOTE_CHARS = 2000;

/** The body of `POST /v1/feedback`. */
export const FeedbackRequestSchema = z
  .object({
    answerId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'answerId is the id of an answer (letters, digits, - and _)'),
    rating: z.enum(['up', 'down']),
    note: z
      .string()
      .max(MAX_NOTE_CHARS, `note is limited to ${MAX_NOTE_CHARS.toLocaleString('en')} characters`)
      .optional(),
    mode: z.enum(['extractive', 'generative']).optional(),
    sources: z.array(z.string().min(1).max(300)).max(20).optional(),
    question: z.string().max(MAX_MESSAGE_CHARS).optional(),
    answer: z
      .string()
      .max(4 * MAX_MESSAGE_CHARS)
      .optional(),
  })
  .strict();

/**
 * `POST /v1/feedback`: `{answerId, rating: "up"|"down", note?, mode?, sources?, question?, answer?}`
 * → 201 `{stored: {note, question}}` (whether each was kept). Needs the clinician role. Question
 * and answer text are kept only when question logging is on (see {@link FeedbackLog}).
 *
 * @example
 * app.use(feedbackRoutes(feedbackLog));
 */
export function feedbackRoutes(feedback: FeedbackLog): Router {
  const router = Router();
  router.post('/v1/feedback', requireRole('clinician'), (req, res) => {
    const body = validateBody(FeedbackRequestSchema, req.body);
    const record = feedback.write(body, describePrincipal(res.locals.principal));
    res.status(201).json({ stored: { note: record.note !== undefined, question: record.question !== undefined } });
  });
  return router;
}
