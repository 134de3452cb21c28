/**
 * Seeded standard-normal numbers: mulberry32 uniforms through the Box–Muller transform. The same
 * seed gives the same sequence on every platform (V8's `Math.log`, `Math.cos` and `Math.sqrt` are
 * deterministic ports of fdlibm), which is what makes a fitted LSA model bit-reproducible.
 * Not for cryptography.
 *
 * @example
 * const g = new SeededGaussian(7);
 * g.next(); // the same N(0, 1) draw for seed 7, every run
 */
export class SeededGaussian {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next uniform float in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The next N(0, 1) draw. */
  next(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    // 1 - u is in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /**
   * Fills `out` with N(0, scale²) draws and returns it; with `scale` 1, the numbers as many
   * {@link next} calls give them.
   *
   * @example
   * new SeededGaussian(7).fill(new Float32Array(4096), 0.02); // N(0, 0.02²) weights
   */
  fill<T extends Float32Array | Float64Array>(out: T, scale = 1): T {
    let i = 0;
    if (this.spare !== null && out.length > 0) {
      out[i++] = scale * this.spare;
      this.spare = null;
    }
    for (; i < out.length; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
      const angle = 2 * Math.PI * this.uniform();
      // (scale × radius) first: the random checkpoints' weights stay bit-identical to those of the
      // generator this replaced.
      out[i] = scale * radius * Math.cos(angle);
      if (i + 1 < out.length) out[i + 1] = scale * radius * Math.sin(angle);
      else this.spare = radius * Math.sin(angle);
    }
    return out;
  }
}
