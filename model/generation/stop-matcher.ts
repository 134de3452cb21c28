/** What {@link StopMatcher.push} returns. */
export interface StopMatch {
  /** Text safe to release: it cannot be part of a stop string. */
  text: string;
  /** A stop string was found; `text` ends just before it. */
  stopped: boolean;
}

/**
 * Finds stop strings in streamed text that may arrive split across pieces. Text that could be the
 * start of a stop string is held back until it is decided, so a stop string never reaches the
 * caller, not even partly; the stop string and anything after it are dropped.
 *
 * @example
 * const m = new StopMatcher(['\nUser:']);
 * m.push('Hello\nUs'); // { text: 'Hello', stopped: false }
 * m.push('er: hi');    // { text: '', stopped: true }
 */
export class StopMatcher {
  private pending = '';
  private readonly stops: readonly string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  push(piece: string): StopMatch {
    if (this.stops.length === 0) return { text: piece, stopped: false };
    this.pending += piece;
    let at = -1;
    for (const s of this.stops) {
      const i = this.pending.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at >= 0) {
      const text = this.pending.slice(0, at);
      this.pending = '';
      return { text, stopped: true };
    }
    const hold = this.heldSuffixLength();
    const text = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text, stopped: false };
  }

  /** Releases held-back text at the end of generation. */
  flush(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  /** Length of the longest suffix of `pending` that is a proper prefix of some stop string. */
  private heldSuffixLength(): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, this.pending.length); n > best; n--) {
        if (this.pending.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
