import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelRetention } from '@herald/bus';
import { AppsRepository, ArchiveRepository, PushRepository, UsageRepository, type AppRecord } from '@herald/db';
import { Maintenance } from '../maintenance/maintenance.js';

/** Minute usage rows feed recent charts; days are kept for billing. */
const USAGE_MINUTES_KEPT_MS = 35 * 86_400_000;

/**
 * Retention, every HERALD_RETENTION_INTERVAL_MS: trims each channel's history stream to its app's window
 * (count and age), drops streams of deleted apps, deletes archived messages older than each plan's
 * archive retention (and the Web Push delivery log past it), and old per-minute usage rows. Every step is idempotent, so several workers may run it.
 */
@Injectable()
export class RetentionJob {
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly maintenance: Maintenance,
    private readonly history: ChannelRetention,
    private readonly apps: AppsRepository,
    private readonly archive: ArchiveRepository,
    private readonly usage: UsageRepository,
    private readonly push: PushRepository,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'retention' });
    maintenance.register('retention', this.config.worker.retentionIntervalMs, (now) => this.trim(now));
  }

  private async trim(now: number): Promise<{ streamEntries: number; archived: number }> {
    let streamEntries = 0;
    const apps = new Map<string, AppRecord | undefined>();
    for await (const page of this.history.historyChannels()) {
      for (const { appId, channel } of page) {
        if (!apps.has(appId)) apps.set(appId, await this.apps.findForSystem(appId));
        const app = apps.get(appId);
        if (!app) await this.history.dropHistory(appId, channel);
        else streamEntries += await this.history.trimHistory(appId, channel, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 }, now);
      }
    }
    const archived = await this.archive.deleteExpired(now);
    const pushLog = await this.push.deleteExpired(now);
    await this.usage.deleteMinutesBefore(new Date(now - USAGE_MINUTES_KEPT_MS));
    if (streamEntries + archived + pushLog > 0) this.logger.info({ streamEntries, archived, pushLog }, 'retention trimmed');
    return { streamEntries, archived };
  }

}
