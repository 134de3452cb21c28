import type { Response } from 'express';
import type { AnswerEvent } from '../answer/index.js';
import type { Logger } from '../logging/logger.js';
import { toApiError } from './http-errors.js';
import { describeFault } from './process-guard.js';
import { SseStream } from './sse.js';

/**
 * Streams an answer's events as Server-Sent Events. The first event is awaited before the response
 * starts, so a refusal (bad source, full queue) still gets its JSON error and status. `frame` turns
 * each event into SSE frames (event name and data); an error after the start is sent as one more
 * frame from `errorFrame`, and the stream ends. Stopping early (client gone) returns the event
 * iterator, which aborts generation.
 *
 * @example
 * await streamAnswer(res, pipeline.stream(request), (e) => [{ event: e.type, data: e }], (err) => ({ event: 'error', data: err }), logger);
 */
export async function streamAnswer(
  res: Response,
  events: AsyncGenerator<AnswerEvent, void, undefined>,
  frame: (event: AnswerEvent) => Array<{ event?: string; data: unknown }>,
  errorFrame: (error: { code: string; message: string }) => { event?: string; data: unknown },
  logger: Logger,
  onEnd?: (sse: SseStream) => Promise<void>,
): Promise<void> {
  const first = await events.next();
  const sse = SseStream.open(res);
  try {
    for (let step = first; !step.done; step = await events.next()) {
      if (sse.closed) break;
      for (const f of frame(step.value)) await sse.send(f.data, f.event);
    }
    if (!sse.closed && onEnd) await onEnd(sse);
  } catch (error) {
    const e = toApiError(error);
    // Type, code and frames only: an engine's error text can quote the prompt.
    if (e.status >= 500) logger.error({ fault: describeFault(error) }, 'answer stream failed');
    const f = errorFrame({ code: e.code, message: e.message });
    await sse.send(f.data, f.event);
  } finally {
    await events.return(undefined);
    sse.end();
  }
}
