import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelLog } from '@herald/bus';
import { AppsRepository, ArchiveRepository, UsageRepository, type AppRecord } from '@herald/db';

/** Minute usage rows feed recent charts; days are kept for billing. */
const USAGE_MINUTES_KEPT_MS = 35 * 86_400_000;

/**
 * Retention, every HERALD_RETENTION_INTERVAL_MS: trims each channel's history stream to its app's window
 * (count and age), drops streams of deleted apps, deletes archived messages older than each plan's
 * archive retention, and old per-minute usage rows. Every step is idempotent, so several workers may run it.
 */
@Injectable()
export class RetentionJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly log: ChannelLog,
    private readonly apps: AppsRepository,
    private readonly archive: ArchiveRepository,
    private readonly usage: UsageRepository,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'retention' });
  }

  onApplicationBootstrap(): void {
    const every = this.config.worker.retentionIntervalMs;
    if (every > 0) this.timer = setInterval(() => void this.run(), every).unref();
  }

  async run(now = Date.now()): Promise<{ streamEntries: number; archived: number }> {
    if (this.running) return { streamEntries: 0, archived: 0 };
    this.running = true;
    let streamEntries = 0;
    let archived = 0;
    try {
      const apps = new Map<string, AppRecord | undefined>();
      for await (const page of this.log.historyChannels()) {
        for (const { appId, channel } of page) {
          if (!apps.has(appId)) apps.set(appId, await this.apps.findForSystem(appId));
          const app = apps.get(appId);
          if (!app) await this.log.dropHistory(appId, channel);
          else streamEntries += await this.log.trimHistory(appId, channel, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 }, now);
        }
      }
      archived = await this.archive.deleteExpired(now);
      await this.usage.deleteMinutesBefore(new Date(now - USAGE_MINUTES_KEPT_MS));
      if (streamEntries + archived > 0) this.logger.info({ streamEntries, archived }, 'retention trimmed');
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'retention failed');
    } finally {
      this.running = false;
    }
    return { streamEntries, archived };
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
