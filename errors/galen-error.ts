/**
 * The one base class of Galen's errors. Every layer's error (knowledge, retrieval, model, server)
 * extends it with its own union of `code`s, so callers branch on `code` rather than on messages,
 * and the HTTP layer turns any of them into a response through one code → status table
 * (`server/http/error-status.ts`). This folder is the shared kernel: it imports nothing, so every
 * layer, `model/` and `knowledge/` included, may depend on it without a cycle.
 *
 * @example
 * class KnowledgeError extends GalenError<'SOURCE_NOT_FOUND' | 'INVALID_INPUT'> {
 *   override readonly name = 'KnowledgeError';
 * }
 * try { … } catch (e) { if (e instanceof GalenError && e.code === 'SOURCE_NOT_FOUND') … }
 */
export class GalenError<Code extends string = string> extends Error {
  constructor(
    /** Stable, machine-readable reason (SCREAMING_SNAKE_CASE); part of the API. */
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GalenError';
  }
}
