import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelLog } from '@herald/bus';
import { AppsRepository } from '@herald/db';
import { PeriodicTask } from '../periodic-task.js';

/**
 * Safety net: a message accepted by a process that died before enqueueing its job would wait for the
 * channel's next publish. The sweeper appends channels whose pending messages are older than the period.
 */
@Injectable()
export class PendingSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger;
  private readonly task: PeriodicTask<number>;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly log: ChannelLog,
    private readonly apps: AppsRepository,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'sweeper' });
    this.task = new PeriodicTask('pending sweep', this.logger, () => this.appendStalled(), 0);
  }

  onApplicationBootstrap(): void {
    this.task.start(this.config.worker.pendingSweepMs);
  }

  sweep(): Promise<number> {
    return this.task.run();
  }

  private async appendStalled(): Promise<number> {
    let swept = 0;
    for (const { appId, channel } of await this.log.stalledChannels(this.config.worker.pendingSweepMs)) {
      const app = await this.apps.findForSystem(appId);
      if (!app) {
        await this.log.forgetPending(appId, channel);
        continue;
      }
      await this.log.appendPending(appId, channel, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 });
      swept++;
    }
    return swept;
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }
}
