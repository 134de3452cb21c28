import { ApiError } from './api-error.js';

/** OpenAI's error `type` for an HTTP status, as its clients expect in `error.type`. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return status === 503 ? 'service_unavailable_error' : 'server_error';
  return 'invalid_request_error';
}

/** A request field Galen does not support (or not with that value): a 400 naming it in `param`. */
export class UnsupportedParameterError extends ApiError {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(400, 'UNSUPPORTED_PARAMETER', message);
  }
}

/** A 400 about one field, named in `param`. */
export class InvalidParameterError extends ApiError {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(400, 'INVALID_REQUEST', message);
  }
}

/** A model name Galen does not serve: a 404 naming `model`, as OpenAI answers it. */
export class UnknownModelError extends ApiError {
  readonly param = 'model';
  constructor(message: string) {
    super(404, 'UNKNOWN_MODEL', message);
  }
}

/** Paths answered in OpenAI's shapes, whose error bodies carry OpenAI's `type` and `param`. */
export function isOpenAiPath(path: string): boolean {
  return path === '/v1/chat/completions' || path === '/v1/models' || path.startsWith('/v1/models/');
}

/**
 * The error body on the OpenAI routes: Galen's `{code, message}` (as the client may see them) plus
 * OpenAI's `type` and the `param` of the original error (null unless one field is at fault), so the
 * `openai` client and LangChain read it.
 *
 * @example
 * openAiErrorBody(new UnsupportedParameterError('tools', '…')) // → {error:{code,message,type:'invalid_request_error',param:'tools'}}
 */
export function openAiErrorBody(
  error: ApiError,
  shown: { code: string; message: string } = error,
): { error: { code: string; message: string; type: string; param: string | null } } {
  const param =
    error instanceof UnsupportedParameterError || error instanceof InvalidParameterError || error instanceof UnknownModelError
      ? error.param
      : null;
  return { error: { code: shown.code, message: shown.message, type: openAiErrorType(error.status), param } };
}
