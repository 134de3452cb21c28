import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ModelError } from '../generation/errors.js';
import type { ChatMessage } from '../generation/chat-template.js';
import type {
  Completion,
  FinishReason,
  LanguageModel,
  TextGenerationOptions,
  TextPiece,
  TextPrompt,
  TextStream,
  TokenCount,
} from '../language-model/index.js';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';
import { openTokenCounter, type TokenCounter } from './token-counter.js';

/** Options of {@link OpenAiCompatibleModel.open}; only `urls` is required. */
export interface UpstreamOptions {
  /** Base URLs of the engines, each ending in `/v1`. */
  urls: readonly string[];
  /** The served model or LoRA adapter. Default: the first model the first answering engine lists. */
  model?: string;
  apiKey?: string;
  /** Default: the engine's `max_model_len` (vLLM), else 4096. */
  contextWindow?: number;
  /** A tokenizer folder (tokenizer.json, tokenizer_config.json) for exact counts and the `completions` prompt. */
  tokenizer?: string;
  /** `chat`: the engine applies its chat template; `completions`: Galen renders the prompt. Default `chat`. */
  api?: 'chat' | 'completions';
  /** Default 30000. */
  firstTokenTimeoutMs?: number;
  /** Default 30000. */
  idleTimeoutMs?: number;
  /** Requests in flight per engine. Default 64. */
  maxConcurrent?: number;
  /** Other attempts before the first token. Default 2. */
  retries?: number;
  /** Backoff before the n-th retry is `retryBackoffMs * 2^(n-1)`, ms. Default 50. */
  retryBackoffMs?: number;
  /** Default 3. */
  breakerFailures?: number;
  /** Default 10000. */
  breakerCooldownMs?: number;
  /** Time a `/v1/models` probe may take, ms. Default 2000. */
  probeTimeoutMs?: number;
}

/** One engine as Galen sees it, for logs, `/readyz` and metrics. */
export interface UpstreamStatus {
  url: string;
  breaker: BreakerState;
  outstanding: number;
  requests: number;
  errors: number;
  /** Generated tokens (the engine's usage). */
  completionTokens: number;
  promptTokens: number;
  /** Sum of time to first token and of request time over finished requests, ms (divide by `requests`). */
  firstTokenMsTotal: number;
  latencyMsTotal: number;
}

/** One finished request to one engine (an attempt: a retried request reports each engine it tried). */
export interface UpstreamRequestReport {
  url: string;
  /** False when it counted against the engine (connection error, 5xx, timeout, broken stream). */
  ok: boolean;
  /** From the request to the engine's first piece of text, ms; absent when none came. */
  firstTokenMs?: number;
  /** From the request to its end, ms. */
  latencyMs: number;
  usage?: Completion['usage'];
}

/** A `/v1/models` probe of one engine. */
export interface UpstreamHealth {
  url: string;
  ok: boolean;
  breaker: BreakerState;
  models?: string[];
  error?: string;
}

interface Upstream {
  url: string;
  breaker: CircuitBreaker;
  status: UpstreamStatus;
}

interface ModelListing {
  data?: Array<{ id?: unknown; max_model_len?: unknown }>;
}

interface StreamChunk {
  choices?: Array<{ delta?: { content?: unknown }; text?: unknown; finish_reason?: unknown }>;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  error?: { message?: unknown };
}

/** A failure of one attempt; `retry` says whether another engine may take the request. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    readonly countsAgainstUpstream = true,
  ) {
    super(message);
  }
}

const DEFAULT_CONTEXT_WINDOW = 4096;

/**
 * A {@link LanguageModel} served by OpenAI-compatible engines (vLLM, TGI, llama.cpp server,
 * Ollama): streams `/v1/chat/completions` (or `/v1/completions`), spreads requests by least
 * outstanding requests, retries on another engine before the first token, takes failing engines out
 * with a breaker per engine, and counts tokens with the tokenizer folder, the engine's `/tokenize`
 * or a stated estimate.
 *
 * @example
 * const model = await OpenAiCompatibleModel.open({ urls: ['http://vllm:8000/v1'], model: 'medical-lora' });
 * const stream = await model.stream({ messages }, { maxNewTokens: 256 }, signal);
 */
export class OpenAiCompatibleModel implements LanguageModel {
  readonly provider = 'openai-compatible';
  private closed = false;
  private readonly inFlight = new Set<AbortController>();
  private readonly listeners = new Set<(report: UpstreamRequestReport) => void>();
  /** Where the next tie between engines starts. */
  private turn = 0;

  private constructor(
    readonly modelId: string,
    readonly contextWindow: number,
    private readonly upstreams: Upstream[],
    private readonly counter: TokenCounter,
    private readonly options: Required<Omit<UpstreamOptions, 'model' | 'apiKey' | 'contextWindow' | 'tokenizer'>> &
      Pick<UpstreamOptions, 'apiKey'>,
  ) {}

  /**
   * Probes every engine's `/v1/models` in parallel (the first answering in the list order is enough to learn the model and its
   * window; none answering is fine when `model` is given: engines may come up later), then picks
   * the token counter. Throws ModelError `INVALID_OPTIONS` for bad options, `UNAVAILABLE` when the
   * model is not given and no engine answers.
   */
  static async open(options: UpstreamOptions): Promise<OpenAiCompatibleModel> {
    if (options.urls.length === 0) throw new ModelError('INVALID_OPTIONS', 'at least one upstream URL is needed');
    for (const url of options.urls)
      if (!/^https?:\/\/.+\/v1\/?$/.test(url))
        throw new ModelError('INVALID_OPTIONS', `upstream URL ${url} must be http(s) and end in /v1`);
    const resolved = {
      urls: options.urls.map((u) => u.replace(/\/$/, '')),
      api: options.api ?? 'chat',
      firstTokenTimeoutMs: options.firstTokenTimeoutMs ?? 30_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      maxConcurrent: options.maxConcurrent ?? 64,
      retries: options.retries ?? 2,
      retryBackoffMs: options.retryBackoffMs ?? 50,
      breakerFailures: options.breakerFailures ?? 3,
      breakerCooldownMs: options.breakerCooldownMs ?? 10_000,
      probeTimeoutMs: options.probeTimeoutMs ?? 2000,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    };
    const upstreams: Upstream[] = resolved.urls.map((url) => ({
      url,
      breaker: new CircuitBreaker(resolved.breakerFailures, resolved.breakerCooldownMs),
      status: {
        url,
        breaker: 'closed',
        outstanding: 0,
        requests: 0,
        errors: 0,
        completionTokens: 0,
        promptTokens: 0,
        firstTokenMsTotal: 0,
        latencyMsTotal: 0,
      },
    }));
    // In parallel, so start-up waits one probe timeout at most however many engines are down.
    const listings = await Promise.all(
      resolved.urls.map((url) => getJson<ModelListing>(`${url}/models`, resolved.probeTimeoutMs, resolved.apiKey).catch(() => undefined)),
    );
    const answering = listings.findIndex((l) => l !== undefined);
    const listing = answering >= 0 ? listings[answering] : undefined;
    const listedBy = answering >= 0 ? resolved.urls[answering] : undefined;
    const listed = (listing?.data ?? []).filter((m): m is { id: string; max_model_len?: unknown } => typeof m.id === 'string');
    const modelId = options.model ?? listed[0]?.id;
    if (!modelId)
      throw new ModelError('UNAVAILABLE', `no upstream answered /v1/models (${resolved.urls.join(', ')}) and no model is configured`);
    const entry = listed.find((m) => m.id === modelId);
    const reported = typeof entry?.max_model_len === 'number' ? entry.max_model_len : undefined;
    const contextWindow = options.contextWindow ?? reported ?? DEFAULT_CONTEXT_WINDOW;
    const counter = await openTokenCounter({
      ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}),
      ...(listedBy ? { tokenizeBase: listedBy.replace(/\/v1$/, '') } : {}),
      model: modelId,
      timeoutMs: resolved.probeTimeoutMs,
      ...(resolved.apiKey ? { apiKey: resolved.apiKey } : {}),
    });
    if (resolved.api === 'completions' && !counter.renderChat)
      throw new ModelError('INVALID_OPTIONS', 'the completions API needs a tokenizer folder (its chat template renders the prompt)');
    return new OpenAiCompatibleModel(modelId, contextWindow, upstreams, counter, resolved);
  }

  /** How tokens are counted: `tokenizer` (exact), `engine` (the engine's /tokenize, exact) or `estimate`. */
  get tokenCountSource(): TokenCounter['source'] {
    return this.counter.source;
  }

  /** Each engine's breaker, load and counters. */
  get upstreamStatus(): UpstreamStatus[] {
    return this.upstreams.map((u) => ({ ...u.status, breaker: u.breaker.state }));
  }

  /**
   * Calls `listener` as each request to an engine ends (for metrics); returns the unsubscribe.
   * A listener that throws is ignored: it must not break generation.
   */
  onRequest(listener: (report: UpstreamRequestReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The probe time limit of {@link health}, ms. */
  get probeTimeoutMs(): number {
    return this.options.probeTimeoutMs;
  }

  /** Probes each engine's `/v1/models` now. */
  async health(): Promise<UpstreamHealth[]> {
    return Promise.all(
      this.upstreams.map(async (u) => {
        try {
          const listing = await getJson<ModelListing>(`${u.url}/models`, this.options.probeTimeoutMs, this.options.apiKey);
          const models = (listing.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
          return { url: u.url, ok: true, breaker: u.breaker.state, models };
        } catch (error) {
          return { url: u.url, ok: false, breaker: u.breaker.state, error: (error as Error).message };
        }
      }),
    );
  }

  async countTokens(prompt: TextPrompt): Promise<TokenCount> {
    return this.counter.count(prompt);
  }

  prepareCount(prompt: TextPrompt): void {
    // Only the engine's count is a round trip worth starting early (it is cached per text).
    if (this.counter.source === 'engine') this.counter.count(prompt).catch(() => undefined);
  }

  async stream(prompt: TextPrompt, options: TextGenerationOptions = {}, signal?: AbortSignal): Promise<TextStream> {
    if (this.closed) throw new ModelError('CLOSED', 'the model is closed');
    if (options.maxNewTokens !== undefined && (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1))
      throw new ModelError('INVALID_OPTIONS', `maxNewTokens must be a whole number ≥ 1 (got ${options.maxNewTokens})`);
    const body = this.requestBody(prompt, options);
    const started = performance.now();
    const tried = new Set<Upstream>();
    let lastError = 'no upstream was available';
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (signal?.aborted) return finished('', 'aborted', started);
      const upstream = this.pick(tried);
      if (!upstream) break;
      tried.add(upstream);
      try {
        return await this.attempt(upstream, body, started, signal);
      } catch (error) {
        if (!(error instanceof AttemptError)) throw error;
        lastError = `${upstream.url}: ${error.message}`;
        if (!error.retry) throw new ModelError('INVALID_OPTIONS', `the upstream refused the request: ${error.message}`);
        if (attempt < this.options.retries) await sleep(this.options.retryBackoffMs * 2 ** attempt, signal);
      }
    }
    if (signal?.aborted) return finished('', 'aborted', started);
    if (
      this.upstreams.every((u) => !u.breaker.allows() || u.status.outstanding < this.options.maxConcurrent) &&
      this.upstreams.some((u) => u.breaker.allows() && u.status.outstanding >= this.options.maxConcurrent)
    )
      throw new ModelError('BUSY', 'every upstream is at its concurrency limit');
    throw new ModelError('UNAVAILABLE', `no upstream could answer (${lastError})`);
  }

  /** Seconds until an engine taken out may be tried again (for Retry-After). */
  get retryAfterSeconds(): number {
    const waits = this.upstreams.map((u) => u.breaker.retryInMs);
    return Math.max(1, Math.ceil(Math.min(...waits) / 1000));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
  }

  /**
   * Least outstanding requests among engines whose breaker lets a request through and that have
   * room; untried ones first; ties taken in turn (so requests one at a time alternate too).
   */
  private pick(tried: Set<Upstream>): Upstream | undefined {
    const n = this.upstreams.length;
    const order = Array.from({ length: n }, (_, i) => this.upstreams[(this.turn + i) % n]!);
    const open = order.filter((u) => u.breaker.allows() && u.status.outstanding < this.options.maxConcurrent);
    const fresh = open.filter((u) => !tried.has(u));
    const pool = fresh.length ? fresh : open;
    const best = pool.reduce<Upstream | undefined>((b, u) => (!b || u.status.outstanding < b.status.outstanding ? u : b), undefined);
    if (best) this.turn = (this.upstreams.indexOf(best) + 1) % n;
    return best;
  }

  private requestBody(prompt: TextPrompt, options: TextGenerationOptions): Record<string, unknown> {
    const messages: readonly ChatMessage[] = typeof prompt === 'string' ? [] : prompt.messages;
    const common = {
      model: this.modelId,
      stream: true,
      stream_options: { include_usage: true },
      ...(options.maxNewTokens !== undefined ? { max_tokens: options.maxNewTokens } : {}),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.topP !== undefined ? { top_p: options.topP } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.stop?.length ? { stop: [...options.stop] } : {}),
    };
    if (typeof prompt === 'string') return { ...common, prompt, path: '/completions' };
    if (this.options.api === 'completions') return { ...common, prompt: this.counter.renderChat!(messages), path: '/completions' };
    return { ...common, messages: messages.map((m) => ({ role: m.role, content: m.content })), path: '/chat/completions' };
  }

  /**
   * One request to one engine, resolved at its first piece of text (or its end): everything
   * before that is an {@link AttemptError} the caller may retry elsewhere.
   */
  private async attempt(upstream: Upstream, request: Record<string, unknown>, started: number, signal?: AbortSignal): Promise<TextStream> {
    const { path, ...body } = request;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.inFlight.add(controller);
    upstream.breaker.begin();
    upstream.status.outstanding++;
    upstream.status.requests++;
    let settled = false;
    const settle = (ok: boolean, usage?: Completion['usage'], firstTokenMs?: number) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(controller);
      upstream.status.outstanding--;
      if (ok) upstream.breaker.success();
      else {
        upstream.status.errors++;
        upstream.breaker.failure();
      }
      if (usage) {
        upstream.status.promptTokens += usage.promptTokens;
        upstream.status.completionTokens += usage.completionTokens;
      }
      if (firstTokenMs !== undefined) upstream.status.firstTokenMsTotal += firstTokenMs;
      const latencyMs = performance.now() - started;
      upstream.status.latencyMsTotal += latencyMs;
      const report: UpstreamRequestReport = {
        url: upstream.url,
        ok,
        latencyMs,
        ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
        ...(usage ? { usage } : {}),
      };
      for (const listener of this.listeners) {
        try {
          listener(report);
        } catch {
          // Metrics must not break an answer.
        }
      }
    };
    let timer = setTimeout(() => controller.abort(new Error('timeout')), this.options.firstTokenTimeoutMs);
    const rearm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new Error('timeout')), ms);
    };
    let reader: ReadableStreamDefaultReader<{ data: string }>;
    try {
      const response = await fetch(`${upstream.url}${path as string}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!response.ok || !response.body) {
        const detail = await response.text().catch(() => '');
        const retry = response.status >= 500 || response.status === 429;
        throw new AttemptError(`HTTP ${response.status} ${detail.slice(0, 200)}`, retry, retry);
      }
      reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
    } catch (error) {
      clearTimeout(timer);
      const aborted = signal?.aborted === true;
      if (aborted) {
        settle(true);
        return finished('', 'aborted', started);
      }
      const attemptError = error instanceof AttemptError ? error : new AttemptError(describe(error, controller), true);
      settle(!attemptError.countsAgainstUpstream);
      throw attemptError;
    }

    // Reads events until text comes: a failure up to then may be retried on another engine.
    let text = '';
    let finishReason: FinishReason = 'stop';
    let usage: Completion['usage'] | undefined;
    let pieces = 0;
    let firstTokenMs: number | undefined;
    let done = false;
    const first: TextPiece[] = [];
    const readEvent = async (): Promise<void> => {
      const next = await reader.read();
      if (next.done) throw new AttemptError('the stream ended without [DONE]', true);
      const data = next.value.data;
      if (data === '[DONE]') {
        done = true;
        return;
      }
      let chunk: StreamChunk;
      try {
        chunk = JSON.parse(data) as StreamChunk;
      } catch {
        throw new AttemptError(`a malformed chunk: ${data.slice(0, 80)}`, true);
      }
      if (chunk.error) throw new AttemptError(`the engine reported an error: ${String(chunk.error.message ?? '')}`.slice(0, 200), true);
      if (chunk.usage && typeof chunk.usage.completion_tokens === 'number' && typeof chunk.usage.prompt_tokens === 'number')
        usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
      for (const choice of chunk.choices ?? []) {
        const piece = typeof choice.delta?.content === 'string' ? choice.delta.content : typeof choice.text === 'string' ? choice.text : '';
        if (piece) {
          firstTokenMs ??= performance.now() - started;
          text += piece;
          pieces++;
          first.push({ text: piece });
        }
        if (choice.finish_reason === 'length') finishReason = 'length';
      }
    };
    try {
      while (!done && first.length === 0) await readEvent();
    } catch (error) {
      clearTimeout(timer);
      void reader.cancel().catch(() => undefined);
      if (signal?.aborted) {
        settle(true);
        return finished('', 'aborted', started);
      }
      const attemptError = error instanceof AttemptError ? error : new AttemptError(describe(error, controller), true);
      settle(false);
      throw attemptError;
    }
    rearm(this.options.idleTimeoutMs);

    // From here on the answer has begun: an error ends it (the stream throws, the result rejects).
    let resolveResult!: (c: Completion) => void;
    let rejectResult!: (e: unknown) => void;
    const result = new Promise<Completion>((resolve, reject) => {
      resolveResult = resolve;
      rejectResult = reject;
    });
    result.catch(() => undefined);
    const idle = this.options.idleTimeoutMs;
    const complete = (reason: FinishReason) => {
      clearTimeout(timer);
      const finalUsage = usage ?? { promptTokens: 0, completionTokens: pieces };
      settle(true, finalUsage, firstTokenMs);
      resolveResult({ text, finishReason: reason, usage: finalUsage, timeToFirstTokenMs: firstTokenMs ?? 0 });
    };
    // Reads on in the background, so awaiting `result` without iterating works too.
    let wake: (() => void) | undefined;
    let failure: ModelError | undefined;
    let over = false;
    let consumerLeft = false;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    void (async () => {
      while (!done) {
        try {
          await readEvent();
        } catch (error) {
          if (signal?.aborted || consumerLeft) {
            complete('aborted');
          } else {
            const reason = error instanceof AttemptError ? error.message : describe(error, controller);
            clearTimeout(timer);
            settle(false, usage, firstTokenMs);
            failure = new ModelError('GENERATION_FAILED', `the upstream failed mid-answer: ${reason}`);
            rejectResult(failure);
          }
          over = true;
          notify();
          return;
        }
        rearm(idle);
        notify();
      }
      complete(finishReason);
      over = true;
      notify();
    })();
    async function* pieceStream(): AsyncGenerator<TextPiece> {
      try {
        for (;;) {
          while (first.length) yield first.shift()!;
          if (over) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        if (failure) throw failure;
      } finally {
        if (!over) {
          // The consumer stopped (client gone): close the upstream request.
          consumerLeft = true;
          controller.abort();
          void reader.cancel().catch(() => undefined);
        }
      }
    }
    const iterator = pieceStream();
    return { result, [Symbol.asyncIterator]: () => iterator };
  }
}

function finished(text: string, finishReason: FinishReason, started: number): TextStream {
  const completion: Completion = { text, finishReason, usage: { promptTokens: 0, completionTokens: 0 }, timeToFirstTokenMs: 0 };
  void started;
  return {
    result: Promise.resolve(completion),
    async *[Symbol.asyncIterator]() {},
  };
}

function describe(error: unknown, controller: AbortController): string {
  if (controller.signal.aborted && controller.signal.reason instanceof Error && controller.signal.reason.message === 'timeout')
    return 'timed out';
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).message ?? String(error);
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** GET a JSON document with a time limit. */
export async function getJson<T>(url: string, timeoutMs: number, apiKey?: string): Promise<T> {
  const response = await fetch(url, {
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as T;
}
