import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage, OnnxLanguageModel } from '../../../model/index.js';

/** How the test engine behaves for the next requests. */
export type UpstreamMode = 'ok' | 'fail' | 'stall' | 'drop' | 'malformed' | 'malformed-late';

/**
 * An OpenAI-compatible engine we "do not own", stood up for tests: it really generates, with
 * Galen's own ONNX runtime on stories260k, and streams SSE like vLLM (`/v1/models` with
 * `max_model_len`, `/v1/chat/completions`, `/v1/completions`, `/tokenize` when `tokenize` is on).
 * Switches: `fail` answers 500, `stall` never sends a token, `drop` cuts the connection after two
 * chunks, `malformed` sends a broken chunk first, `malformed-late` after two good ones; `prefix`
 * is sent before the generated text.
 */
export class TestUpstream {
  mode: UpstreamMode = 'ok';
  tokenize = true;
  /** Text sent as the first piece, before what the model generates (say, citation markers). */
  prefix = '';
  /** When on, the bodies of completion requests are kept in `recorded` (to replay them directly). */
  record = false;
  readonly recorded: Array<Record<string, unknown>> = [];
  /** Called with each text /tokenize is asked to count, as the request arrives. */
  onTokenize: ((text: string) => void) | undefined;
  /** Completion requests received, and those whose client closed before the engine finished. */
  requests = 0;
  closedEarly = 0;
  /** Requests being answered now, and the most at once. */
  active = 0;
  peak = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(model: OnnxLanguageModel, id = 'stories'): Promise<TestUpstream> {
    let upstream!: TestUpstream;
    const server = createServer((req, res) => void upstream.handle(model, id, req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    upstream = new TestUpstream(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
    return upstream;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(model: OnnxLanguageModel, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    if (req.method === 'GET' && req.url === '/v1/models') {
      return json(res, 200, { object: 'list', data: [{ id, object: 'model', max_model_len: model.contextWindow }] });
    }
    if (req.method === 'POST' && req.url === '/tokenize') {
      if (!this.tokenize) return json(res, 404, { error: 'not found' });
      const text = String(body.prompt ?? '');
      this.onTokenize?.(text);
      const count = model.encode(text).length;
      return json(res, 200, { count, max_model_len: model.contextWindow, tokens: [] });
    }
    const chat = req.url === '/v1/chat/completions';
    if (req.method !== 'POST' || (!chat && req.url !== '/v1/completions')) return json(res, 404, { error: { message: 'no such route' } });
    this.requests++;
    if (this.record) this.recorded.push(body);
    if (this.mode === 'fail') return json(res, 500, { error: { message: 'engine failure' } });
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    const controller = new AbortController();
    let finished = false;
    res.on('close', () => {
      if (!finished) {
        this.closedEarly++;
        controller.abort();
      }
      this.active--;
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    if (this.mode === 'stall') return; // headers, then nothing
    if (this.mode === 'malformed') {
      res.end('data: {"choices": [ broken\n\n');
      finished = true;
      return;
    }
    const prompt = chat ? { messages: body.messages as ChatMessage[] } : String(body.prompt);
    const stream = model.stream(
      prompt,
      {
        ...(typeof body.max_tokens === 'number' ? { maxNewTokens: body.max_tokens } : {}),
        ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
        ...(typeof body.top_p === 'number' ? { topP: body.top_p } : {}),
        ...(typeof body.seed === 'number' ? { seed: body.seed } : {}),
        ...(Array.isArray(body.stop) ? { stop: body.stop as string[] } : {}),
      },
      controller.signal,
    );
    let sent = 0;
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    if (this.prefix)
      send(
        chat
          ? { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: this.prefix } }] }
          : { choices: [{ index: 0, text: this.prefix }] },
      );
    for await (const piece of stream) {
      if (!piece.text) continue;
      if (this.mode === 'drop' && sent === 2) {
        res.socket?.destroy();
        return;
      }
      if (this.mode === 'malformed-late' && sent === 2) {
        res.end('data: {not json\n\n');
        finished = true;
        return;
      }
      send(
        chat
          ? { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece.text } }] }
          : { choices: [{ index: 0, text: piece.text }] },
      );
      sent++;
    }
    const result = await stream.result;
    if (controller.signal.aborted) return;
    const finish = result.finishReason === 'length' || result.finishReason === 'context-window' ? 'length' : 'stop';
    send({ choices: [{ index: 0, delta: {}, finish_reason: finish }] });
    send({ choices: [], usage: { prompt_tokens: result.usage.promptTokens, completion_tokens: result.usage.completionTokens } });
    res.end('data: [DONE]\n\n');
    finished = true;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
