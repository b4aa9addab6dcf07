import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelOccupancy } from '@herald/bus';

const BATCH = 100;

/**
 * A gateway that dies stops renewing the channels it held; once their leases lapse this sweep announces
 * channel.vacated for those it was the last holder of (the occupancy script makes concurrent sweeps safe).
 */
@Injectable()
export class OccupancySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly occupancy: ChannelOccupancy,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'occupancy-sweeper' });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), Math.max(100, Math.floor(this.config.occupancyLeaseMs / 3)));
    this.timer.unref();
  }

  async sweep(now = Date.now()): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.occupancy.sweep(now, BATCH);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'occupancy sweep failed');
    } finally {
      this.running = false;
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
