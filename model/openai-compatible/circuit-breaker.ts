/** Where an upstream's breaker stands. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Takes a failing upstream out for a while: `failures` failures in a row open it for `cooldownMs`;
 * then one trial request may pass (half-open), and its outcome closes or reopens it.
 */
export class CircuitBreaker {
  private failuresInRow = 0;
  private openedAt = 0;
  private trialInFlight = false;

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.failuresInRow < this.failures) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** Milliseconds until an open breaker lets a trial through (0 when it would now). */
  get retryInMs(): number {
    return this.state === 'open' ? Math.max(0, this.cooldownMs - (this.now() - this.openedAt)) : 0;
  }

  /** Whether a request may go now; a half-open breaker lets one trial through at a time. */
  allows(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half-open' && !this.trialInFlight);
  }

  /** Marks a request as sent (the half-open trial, when it is one). */
  begin(): void {
    if (this.state === 'half-open') this.trialInFlight = true;
  }

  success(): void {
    this.failuresInRow = 0;
    this.trialInFlight = false;
  }

  failure(): void {
    this.trialInFlight = false;
    this.failuresInRow += 1;
    if (this.failuresInRow >= this.failures) this.openedAt = this.now();
  }
}
