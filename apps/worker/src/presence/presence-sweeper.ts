import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { PresenceStore } from '@herald/bus';
import { Maintenance } from '../maintenance/maintenance.js';

const BATCH = 100;

/**
 * Members held by a gateway that died stop being renewed; this sweep removes them once their lease
 * lapses and publishes one `timeout` event each (the store's script makes concurrent sweeps safe).
 */
@Injectable()
export class PresenceSweeper {
  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly maintenance: Maintenance,
    private readonly store: PresenceStore,
  ) {
    maintenance.register('presence sweep', Math.max(100, Math.floor(this.config.presenceLeaseMs / 3)), (now) => this.expire(now));
  }

  sweep(now = Date.now()): Promise<number> {
    return this.maintenance.runNow('presence sweep', now, 0);
  }

  private async expire(now: number): Promise<number> {
    let total = 0;
    for (let n = BATCH; n === BATCH; total += n) n = (await this.store.sweep(now, BATCH)).length;
    return total;
  }
}
