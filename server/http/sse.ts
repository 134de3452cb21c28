import type { Response } from 'express';

/**
 * A Server-Sent Events response: sets the headers, writes `event:`/`data:` frames, waits for the
 * socket to drain when the client reads slowly (so a slow reader slows generation instead of
 * growing memory), and keeps idle proxies from closing the stream with comment heartbeats.
 *
 * @example
 * const sse = SseStream.open(res);
 * await sse.send({ text: 'Hello' }, 'delta');
 * sse.end();
 */
export class SseStream {
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    private readonly res: Response,
    heartbeatMs: number,
  ) {
    this.heartbeat = setInterval(() => {
      if (!this.closed) res.write(': keep-alive\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
    res.once('close', () => clearInterval(this.heartbeat));
  }

  /** Starts the stream (status 200). `heartbeatMs` (default 15000) spaces the keep-alive comments. */
  static open(res: Response, heartbeatMs = 15_000): SseStream {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx and similar proxies buffer responses unless told not to.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    return new SseStream(res, heartbeatMs);
  }

  /** Whether the client has gone or the stream was ended. */
  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  /** Writes one event (`data` as JSON, or as is when a string); resolves once the socket can take more. */
  async send(data: unknown, event?: string): Promise<void> {
    if (this.closed) return;
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    const frame = `${event ? `event: ${event}\n` : ''}${payload
      .split('\n')
      .map((line) => `data: ${line}`)
      .join('\n')}\n\n`;
    if (!this.res.write(frame)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.res.off('drain', done);
          this.res.off('close', done);
          resolve();
        };
        this.res.on('drain', done);
        this.res.on('close', done);
      });
    }
  }

  /** Ends the stream. */
  end(): void {
    clearInterval(this.heartbeat);
    if (!this.closed) this.res.end();
  }
}
