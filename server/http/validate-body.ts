import type { z } from 'zod';
import { ApiError } from './api-error.js';

/**
 * Parses a request body with a zod schema; a mismatch is a 400 `INVALID_REQUEST` naming the first
 * bad field ("messages.0.content: content must not be empty").
 *
 * @example
 * const body = validateBody(ChatRequestSchema, req.body);
 */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ApiError(400, 'INVALID_REQUEST', `${issue.path.join('.') || 'body'}: ${issue.message}`);
}
