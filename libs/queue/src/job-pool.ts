/**
 * At most `size` jobs run at once in this process, whichever queue they come from: a kind of work is
 * consumed from N queues (QueueShards), and its configured concurrency (HERALD_WEBHOOK_CONCURRENCY, …)
 * stays the process's pool, not N pools. First come, first served.
 */
export class JobPool {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new Error(`pool size must be a positive integer, got ${size}`);
  }

  /** Jobs running now (for tests and metrics). */
  get busy(): number {
    return this.running;
  }

  async run<R>(task: () => Promise<R>): Promise<R> {
    if (this.running < this.size) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the finishing task hands its place over
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
