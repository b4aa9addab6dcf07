import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelOccupancy } from '@herald/bus';
import { PeriodicTask } from '../periodic-task.js';

const BATCH = 100;

/**
 * A gateway that dies stops renewing the channels it held; once their leases lapse this sweep announces
 * channel.vacated for those it was the last holder of (the occupancy script makes concurrent sweeps safe).
 */
@Injectable()
export class OccupancySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask<void>;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly occupancy: ChannelOccupancy,
  ) {
    const logger = createLogger(config, 'worker').child({ component: 'occupancy-sweeper' });
    this.task = new PeriodicTask('occupancy sweep', logger, async (now) => void (await this.occupancy.sweep(now, BATCH)), undefined);
  }

  onApplicationBootstrap(): void {
    this.task.start(Math.max(100, Math.floor(this.config.occupancyLeaseMs / 3)));
  }

  sweep(now = Date.now()): Promise<void> {
    return this.task.run(now);
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }
}
