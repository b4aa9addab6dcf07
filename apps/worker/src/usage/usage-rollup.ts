import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { AppLimits } from '@herald/bus';
import { UsageRepository } from '@herald/db';

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
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly limits: AppLimits,
    private readonly usage: UsageRepository,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'usage' });
  }

  onApplicationBootstrap(): void {
    const every = this.config.worker.usageRollupMs;
    if (every > 0) this.timer = setInterval(() => void this.rollup(), every).unref();
  }

  async rollup(now = Date.now()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let rolled = 0;
    try {
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
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'usage roll-up failed');
    } finally {
      this.running = false;
    }
    return rolled;
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
