import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma.service.js';

export interface UsageCounts {
  publishes: number;
  deliveries: number;
  webhookAttempts: number;
  peakConnections: number;
}

export interface MinuteRow extends UsageCounts {
  appId: string;
  /** Minutes since the Unix epoch (UTC). */
  minute: number;
}

/** Usage rolled up from Redis: per app per minute, and per app per UTC day (sums; peak = maximum). */
@Injectable()
export class UsageRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Writes the counters' current values. Counters only grow, so a value lower than the stored one (a
   * counter re-read after it was dropped) never lowers a row; rows of deleted apps are skipped.
   */
  async upsertMinutes(rows: readonly MinuteRow[]): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map(
      (r) => Prisma.sql`(${r.appId}, ${new Date(r.minute * 60_000)}::timestamp(3), ${r.publishes}::int, ${r.deliveries}::int, ${r.webhookAttempts}::int, ${r.peakConnections}::int)`,
    );
    await this.prisma.$executeRaw`
      INSERT INTO "UsageMinute" ("appId", "minute", "publishes", "deliveries", "webhookAttempts", "peakConnections")
      SELECT v.* FROM (VALUES ${Prisma.join(values)}) AS v("appId", "minute", "publishes", "deliveries", "webhookAttempts", "peakConnections")
      JOIN "App" a ON a."id" = v."appId"
      ON CONFLICT ("appId", "minute") DO UPDATE SET
        "publishes" = GREATEST("UsageMinute"."publishes", EXCLUDED."publishes"),
        "deliveries" = GREATEST("UsageMinute"."deliveries", EXCLUDED."deliveries"),
        "webhookAttempts" = GREATEST("UsageMinute"."webhookAttempts", EXCLUDED."webhookAttempts"),
        "peakConnections" = GREATEST("UsageMinute"."peakConnections", EXCLUDED."peakConnections")`;
    const days = new Map<string, { appId: string; day: string }>();
    for (const r of rows) {
      const day = new Date(r.minute * 60_000).toISOString().slice(0, 10);
      days.set(`${r.appId}|${day}`, { appId: r.appId, day });
    }
    for (const { appId, day } of days.values()) {
      await this.prisma.$executeRaw`
        INSERT INTO "UsageDay" ("appId", "day", "publishes", "deliveries", "webhookAttempts", "peakConnections")
        SELECT "appId", ${day}::date, SUM("publishes"), SUM("deliveries"), SUM("webhookAttempts"), MAX("peakConnections")
        FROM "UsageMinute" WHERE "appId" = ${appId} AND "minute" >= ${day}::date AND "minute" < ${day}::date + 1
        GROUP BY "appId"
        ON CONFLICT ("appId", "day") DO UPDATE SET "publishes" = EXCLUDED."publishes", "deliveries" = EXCLUDED."deliveries",
          "webhookAttempts" = EXCLUDED."webhookAttempts", "peakConnections" = EXCLUDED."peakConnections"`;
    }
  }

  async days(appId: string, from: Date, to: Date): Promise<Array<UsageCounts & { day: string }>> {
    const rows = await this.prisma.usageDay.findMany({ where: { appId, day: { gte: from, lte: to } }, orderBy: { day: 'asc' } });
    return rows.map((r) => ({
      day: r.day.toISOString().slice(0, 10),
      publishes: Number(r.publishes),
      deliveries: Number(r.deliveries),
      webhookAttempts: Number(r.webhookAttempts),
      peakConnections: r.peakConnections,
    }));
  }

  async minutes(appId: string, from: Date, to: Date): Promise<Array<UsageCounts & { minute: string }>> {
    const rows = await this.prisma.usageMinute.findMany({ where: { appId, minute: { gte: from, lte: to } }, orderBy: { minute: 'asc' }, take: 1440 });
    return rows.map((r) => ({ minute: r.minute.toISOString(), publishes: r.publishes, deliveries: r.deliveries, webhookAttempts: r.webhookAttempts, peakConnections: r.peakConnections }));
  }

  /** Retention: minute rows are kept for the dashboard's recent charts only. */
  async deleteMinutesBefore(before: Date): Promise<number> {
    return (await this.prisma.usageMinute.deleteMany({ where: { minute: { lt: before } } })).count;
  }
}
