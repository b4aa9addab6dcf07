import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { PresenceStore } from '@herald/bus';

const BATCH = 100;

/**
 * Members held by a gateway that died stop being renewed; this sweep removes them once their lease
 * lapses and publishes one `timeout` event each (the store's script makes concurrent sweeps safe).
 */
@Injectable()
export class PresenceSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly store: PresenceStore,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'presence-sweeper' });
  }

  onApplicationBootstrap(): void {
    const every = Math.max(100, Math.floor(this.config.presenceLeaseMs / 3));
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref();
  }

  async sweep(now = Date.now()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let total = 0;
    try {
      for (let n = BATCH; n === BATCH; total += n) n = (await this.store.sweep(now, BATCH)).length;
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'presence sweep failed');
    } finally {
      this.running = false;
    }
    return total;
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
