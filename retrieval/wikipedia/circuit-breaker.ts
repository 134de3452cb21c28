/** When a circuit breaker opens and how long it stays open. */
export interface CircuitBreakerOptions {
  /** Consecutive failures (errors or timeouts) that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before letting one probe through, ms. Default 30 000. */
  cooldownMs?: number;
  /**
   * Calls let through at once while the dependency's health is unknown (at start, and after a
   * failure until a call succeeds); others are refused meanwhile. Default 2.
   */
  probeLimit?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Stops calling a failing dependency: after `failureThreshold` consecutive failures the circuit
 * is open and `tryAcquire` refuses for `cooldownMs`; then it is half-open and lets exactly one
 * call through as a probe (others are still refused), whose success closes the circuit and whose
 * failure opens it for another cool-down. A slow wiki thus costs each question nothing while it
 * is down, and one request per cool-down to notice it is back.
 *
 * Failures are known only when calls end, so a burst of calls to a wiki that accepts connections
 * and never answers would all wait out their time before the first failure counts. While the
 * circuit is closed but not yet proven (no success since start or since the last failure), at most
 * `probeLimit` calls are in flight and the rest are refused: a burst then costs a few calls their
 * budget, not all of them. One success lifts the limit.
 *
 * @example
 * const breaker = new CircuitBreaker({ failureThreshold: 3 });
 * const permit = breaker.tryAcquire();
 * if (permit) { try { await call(); permit.success(); } catch { permit.failure(); } }
 */
export class CircuitBreaker {
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;
  private readonly probeLimit: number;
  /** A call succeeded since start and since the last failure. */
  private proven = false;
  /** Unsettled permits given out while not proven. */
  private unprovenInFlight = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    this.threshold = Math.max(1, options.failureThreshold ?? 5);
    this.cooldownMs = Math.max(0, options.cooldownMs ?? 30_000);
    this.probeLimit = Math.max(1, options.probeLimit ?? 2);
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** Consecutive failures counted so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /**
   * A permit to make one call, or `null` when the circuit refuses it. Report the call's outcome
   * on the permit exactly once; `release()` reports neither (a call the caller abandoned).
   */
  tryAcquire(): { success(): void; failure(): void; release(): void } | null {
    const state = this.state;
    if (state === 'open') return null;
    if (state === 'half-open') {
      if (this.probing) return null;
      this.probing = true;
    }
    const probe = state === 'half-open';
    const unproven = state === 'closed' && !this.proven;
    if (unproven) {
      if (this.unprovenInFlight >= this.probeLimit) return null;
      this.unprovenInFlight++;
    }
    let settled = false;
    const settle = (outcome: 'success' | 'failure' | 'release'): void => {
      if (settled) return;
      settled = true;
      if (probe) this.probing = false;
      if (unproven) this.unprovenInFlight--;
      if (outcome === 'success') {
        this.failures = 0;
        this.openedAt = null;
        this.proven = true;
      } else if (outcome === 'failure') {
        this.proven = false;
        this.failures++;
        // A failed probe re-opens at once; otherwise the threshold decides.
        if (probe || this.failures >= this.threshold) this.openedAt = this.now();
      }
    };
    return { success: () => settle('success'), failure: () => settle('failure'), release: () => settle('release') };
  }
}
