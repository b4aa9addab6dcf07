import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { AppLimits } from '@herald/bus';
import { UsageRepository } from '@herald/db';
import { PeriodicTask } from '../periodic-task.js';

/** Minutes closed this long ago can no longer receive counts (gateways flush deliveries every second). */
const SETTLE_MINUTES = 2;
const PAGE = 1000;

/**
 * Rolls the live Redis counters (publishes, deliveries, webhook attempts, peak connections) up into
 * Postgres per app per minute and per UTC day, for the dashboard and billing. Writes are absolute values,
 * so running it in several workers at once, or twice over the same minute, stores the same numbers.
 * Settled minutes are then dropped from Redis.
 */
@Injectable()
export class UsageRollup implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask<number>;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly limits: AppLimits,
    private readonly usage: UsageRepository,
  ) {
    const logger = createLogger(config, 'worker').child({ component: 'usage' });
    this.task = new PeriodicTask('usage roll-up', logger, (now) => this.rollUp(now), 0);
  }

  onApplicationBootstrap(): void {
    this.task.start(this.config.worker.usageRollupMs);
  }

  rollup(now = Date.now()): Promise<number> {
    return this.task.run(now);
  }

  private async rollUp(now: number): Promise<number> {
    let rolled = 0;
    const settledBefore = Math.floor(now / 60_000) - SETTLE_MINUTES;
    for (;;) {
      const minutes = await this.limits.pendingMinutes(PAGE);
      if (minutes.length === 0) break;
      await this.usage.upsertMinutes(minutes);
      rolled += minutes.length;
      const settled = minutes.filter((m) => m.minute < settledBefore);
      await this.limits.forgetMinutes(settled);
      if (settled.length < minutes.length || minutes.length < PAGE) break; // the rest is still open
    }
    return rolled;
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }
}
