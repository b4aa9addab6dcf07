import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { ChannelOccupancy } from '@herald/bus';
import { Maintenance } from '../maintenance/maintenance.js';

const BATCH = 100;

/**
 * A gateway that dies stops renewing the channels it held; once their leases lapse this sweep announces
 * channel.vacated for those it was the last holder of (the occupancy script makes concurrent sweeps safe).
 */
@Injectable()
export class OccupancySweeper {
  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly maintenance: Maintenance,
    private readonly occupancy: ChannelOccupancy,
  ) {
    maintenance.register('occupancy sweep', Math.max(100, Math.floor(this.config.occupancyLeaseMs / 3)), async (now) => void (await this.occupancy.sweep(now, BATCH)));
  }

  sweep(now = Date.now()): Promise<void> {
    return this.maintenance.runNow('occupancy sweep', now, undefined);
  }
}
