/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every
 * platform, so a seeded generation is reproducible. Not for cryptography.
 *
 * @example
 * const rng = new SeededRandom(42);
 * rng.next(); // a float in [0, 1), always the same for seed 42
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
