import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { AppLimits } from '@herald/bus';
import { UsageRepository } from '@herald/db';
import { Maintenance } from '../maintenance/maintenance.js';

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
export class UsageRollup {
  constructor(
    @Inject(CONFIG) config: HeraldConfig,
    private readonly maintenance: Maintenance,
    private readonly limits: AppLimits,
    private readonly usage: UsageRepository,
  ) {
    maintenance.register('usage roll-up', config.worker.usageRollupMs, (now) => this.rollUp(now));
  }

  rollup(now = Date.now()): Promise<number> {
    return this.maintenance.runNow('usage roll-up', now, 0);
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
}
