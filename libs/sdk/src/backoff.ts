/**
 * Full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff and Jitter"): the
 * n-th retry waits a uniform random time in [0, min(cap, base·2ⁿ)). Spreads a crowd of clients that
 * lost the same gateway instead of bringing them back in waves.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly base: number,
    private readonly cap: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call grows the ceiling until the cap. */
  next(): number {
    const ceiling = Math.min(this.cap, this.base * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
