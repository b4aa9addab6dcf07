import { HeraldError } from '@herald/protocol';

/**
 * Bounds the password hashes (argon2id: 64 MiB and tens of ms of a core each) one process runs at once.
 * A flood of log-ins otherwise takes every libuv thread and both cores, and `/health`, publishes and the
 * data plane wait behind it. Callers beyond the bound queue; one that waits longer than `waitMs` is
 * refused with 503 `unavailable` and Retry-After, so the flood is shed instead of queued.
 */
export class HashGate {
  private running = 0;
  private readonly waiting: Array<{ start: () => void; timer: NodeJS.Timeout }> = [];

  constructor(
    private readonly max: number,
    private readonly waitMs: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.enter();
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  private enter(): Promise<void> {
    if (this.running < this.max) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          clearTimeout(entry.timer);
          this.running++;
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(new HeraldError('unavailable', 'Too many log-ins and sign-ups in progress, retry shortly', 1));
        }, this.waitMs),
      };
      this.waiting.push(entry);
    });
  }

  private leave(): void {
    this.running--;
    this.waiting.shift()?.start();
  }
}
