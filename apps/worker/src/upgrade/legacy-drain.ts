import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelLog } from '@herald/bus';
import { AppsRepository } from '@herald/db';

const RETRY_MS = 5_000;

/**
 * Upgrade from the previous publish path, which kept accepted messages pending until a worker job
 * appended them: at start, every channel it left pending is appended and published in offset order
 * (ChannelLog.drainLegacy), so nothing accepted before the upgrade is lost. A channel that publishes
 * first is upgraded by its accept script on the way. Runs until the old index is empty, then never again.
 */
@Injectable()
export class LegacyDrain implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger;
  private stopped = false;
  private done?: Promise<number>;

  constructor(
    @Inject(CONFIG) config: HeraldConfig,
    private readonly log: ChannelLog,
    private readonly apps: AppsRepository,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'upgrade' });
  }

  onApplicationBootstrap(): void {
    this.done = this.run();
  }

  /** Resolves with how many frames were appended once nothing is left (tests wait for it). */
  finished(): Promise<number> {
    return this.done ?? Promise.resolve(0);
  }

  private async run(): Promise<number> {
    let moved = 0;
    while (!this.stopped) {
      try {
        const channels = await this.log.legacyPendingChannels();
        if (channels.length === 0) break;
        for (const { appId, channel } of channels) {
          const app = await this.apps.findForSystem(appId);
          if (!app) await this.log.forgetLegacy(appId, channel);
          else moved += await this.log.drainLegacy(appId, channel, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 });
        }
      } catch (e) {
        this.logger.warn({ err: (e as Error).message }, 'appending what the previous version left pending failed; retrying');
        await new Promise((r) => setTimeout(r, RETRY_MS).unref());
      }
    }
    if (moved > 0) this.logger.info({ moved }, 'appended the messages the previous version left pending');
    return moved;
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }
}
