import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { PresenceStore } from '@herald/bus';
import { PeriodicTask } from '../periodic-task.js';

const BATCH = 100;

/**
 * Members held by a gateway that died stop being renewed; this sweep removes them once their lease
 * lapses and publishes one `timeout` event each (the store's script makes concurrent sweeps safe).
 */
@Injectable()
export class PresenceSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask<number>;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly store: PresenceStore,
  ) {
    const logger = createLogger(config, 'worker').child({ component: 'presence-sweeper' });
    this.task = new PeriodicTask('presence sweep', logger, (now) => this.expire(now), 0);
  }

  onApplicationBootstrap(): void {
    this.task.start(Math.max(100, Math.floor(this.config.presenceLeaseMs / 3)));
  }

  sweep(now = Date.now()): Promise<number> {
    return this.task.run(now);
  }

  private async expire(now: number): Promise<number> {
    let total = 0;
    for (let n = BATCH; n === BATCH; total += n) n = (await this.store.sweep(now, BATCH)).length;
    return total;
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }
}
