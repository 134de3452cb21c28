import type { UpstreamHealth, UpstreamStatus } from '../../model/index.js';

/** A serving-engine backend as `/readyz` reads it (an `OpenAiCompatibleModel`). */
export interface ProbedUpstreams {
  readonly modelId: string;
  readonly contextWindow: number;
  readonly tokenCountSource: string;
  readonly upstreamStatus: readonly UpstreamStatus[];
  health(): Promise<UpstreamHealth[]>;
}

/** One engine in `/readyz`. */
export interface UpstreamReadiness {
  url: string;
  /** Whether it answered `/v1/models` at the last probe (`null`: not probed yet). */
  answers: boolean | null;
  breaker: UpstreamStatus['breaker'];
  outstanding: number;
  /** Models it listed at the last probe. */
  models?: string[];
  /** Why the last probe failed. */
  error?: string;
  /** When it was last probed (ISO time). */
  checkedAt?: string;
}

/** The `generator` part of `/readyz` for the `openai-compatible` backend. */
export interface UpstreamsReadiness {
  backend: 'openai-compatible';
  model: string;
  contextWindow: number;
  tokenCount: string;
  /** Whether at least one engine answered the last probe and has its breaker not open. */
  available: boolean;
  upstreams: UpstreamReadiness[];
}

/**
 * Keeps the last `/v1/models` probe of each engine for `/readyz`, so a readiness check never waits
 * on an engine: a stale result is returned at once and refreshed in the background (one probe at a
 * time, each bounded by the backend's probe timeout); only the very first check waits for the
 * first probe.
 *
 * @example
 * const health = new UpstreamHealthCache(model);
 * health.refresh(); // at start
 * res.json({ generator: await health.report() });
 */
export class UpstreamHealthCache {
  private last: { at: number; health: UpstreamHealth[] } | undefined;
  private probing: Promise<void> | undefined;

  constructor(
    private readonly model: ProbedUpstreams,
    /** Age after which a probe result is refreshed, ms. */
    private readonly maxAgeMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a probe unless one is running; resolves when it ends (never rejects). */
  refresh(): Promise<void> {
    this.probing ??= this.model
      .health()
      .then(
        (health) => {
          this.last = { at: this.now(), health };
        },
        () => undefined,
      )
      .finally(() => {
        this.probing = undefined;
      });
    return this.probing;
  }

  async report(): Promise<UpstreamsReadiness> {
    if (!this.last) await this.refresh();
    else if (this.now() - this.last.at > this.maxAgeMs) void this.refresh();
    const probed = this.last;
    const upstreams = this.model.upstreamStatus.map((status): UpstreamReadiness => {
      const h = probed?.health.find((p) => p.url === status.url);
      return {
        url: status.url,
        answers: h ? h.ok : null,
        breaker: status.breaker,
        outstanding: status.outstanding,
        ...(h?.models ? { models: h.models } : {}),
        ...(h?.error ? { error: h.error } : {}),
        ...(probed ? { checkedAt: new Date(probed.at).toISOString() } : {}),
      };
    });
    return {
      backend: 'openai-compatible',
      model: this.model.modelId,
      contextWindow: this.model.contextWindow,
      tokenCount: this.model.tokenCountSource,
      available: upstreams.some((u) => u.answers === true && u.breaker !== 'open'),
      upstreams,
    };
  }
}
