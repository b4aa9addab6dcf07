import type { Logger } from '@herald/config';

/**
 * The worker's periodic jobs (sweeps, roll-ups, retention): one timer each, never two runs of the same
 * job at once in a process, a failure logged and retried at the next period. The jobs are idempotent,
 * so several workers may run them together.
 */
export class PeriodicTask<T> {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
    private readonly task: (now: number) => Promise<T>,
    /** What a run that was skipped (already running) or failed returns. */
    private readonly nothing: T,
  ) {}

  /** Every `everyMs` (0 = never: tests and operators can switch a job off). */
  start(everyMs: number): void {
    if (everyMs <= 0) return;
    this.timer = setInterval(() => void this.run(), everyMs);
    this.timer.unref();
  }

  async run(now = Date.now()): Promise<T> {
    if (this.running) return this.nothing;
    this.running = true;
    try {
      return await this.task(now);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message, job: this.name }, `${this.name} failed`);
      return this.nothing;
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
