import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelLog } from '@herald/bus';
import { AppsRepository } from '@herald/db';

/**
 * Safety net: a message accepted by a process that died before enqueueing its job would wait for the
 * channel's next publish. The sweeper appends channels whose pending messages are older than the period.
 */
@Injectable()
export class PendingSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly log: ChannelLog,
    private readonly apps: AppsRepository,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'sweeper' });
  }

  onApplicationBootstrap(): void {
    const every = this.config.worker.pendingSweepMs;
    if (every > 0) this.timer = setInterval(() => void this.sweep(), every).unref();
  }

  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let swept = 0;
    try {
      for (const { appId, channel } of await this.log.stalledChannels(this.config.worker.pendingSweepMs)) {
        const app = await this.apps.findForSystem(appId);
        if (!app) {
          await this.log.forgetPending(appId, channel);
          continue;
        }
        await this.log.appendPending(appId, channel, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 });
        swept++;
      }
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'sweep failed');
    } finally {
      this.running = false;
    }
    return swept;
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
