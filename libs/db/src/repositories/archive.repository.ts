import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service.js';

export interface ArchiveRow {
  appId: string;
  channel: string;
  epoch: string;
  offset: number;
  messageId: string;
  content: unknown;
  /** A Pusher trigger's event name; null for Herald publishes. */
  event: string | null;
  publishedAt: Date;
}

/** Long history in Postgres, written in batches by the worker. Re-inserting a row is a no-op. */
@Injectable()
export class ArchiveRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One statement with eight array parameters, whatever the batch size: Prisma's createMany compiled
   * every row (half of the worker's CPU under a publish load; docs/benchmarks.md).
   */
  async insertBatch(rows: ArchiveRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    return this.prisma.$executeRaw`
      INSERT INTO "ArchivedMessage" ("appId", "channel", "epoch", "offset", "messageId", "content", "event", "publishedAt")
      SELECT * FROM unnest(${rows.map((r) => r.appId)}::text[], ${rows.map((r) => r.channel)}::text[], ${rows.map((r) => r.epoch)}::text[],
        ${rows.map((r) => String(r.offset))}::text[]::bigint[], ${rows.map((r) => r.messageId)}::text[],
        ${rows.map((r) => JSON.stringify(r.content ?? null))}::text[]::json[], ${rows.map((r) => r.event)}::text[], ${rows.map((r) => r.publishedAt.toISOString())}::text[]::timestamp(3)[])
      ON CONFLICT DO NOTHING`;
  }

  async count(appId: string, channel: string): Promise<number> {
    return this.prisma.archivedMessage.count({ where: { appId, channel } });
  }

  /**
   * Up to `limit` messages of one epoch with offsets in [from, to], returned oldest first. `newest`
   * picks the newest `limit` of the range (paging backwards), otherwise the oldest.
   */
  async range(appId: string, channel: string, q: { epoch: string; from: number; to: number; limit: number; newest: boolean; minTime?: Date }): Promise<ArchiveRow[]> {
    if (q.to < q.from || q.limit <= 0) return [];
    const rows = await this.prisma.archivedMessage.findMany({
      where: { appId, channel, epoch: q.epoch, offset: { gte: BigInt(q.from), lte: BigInt(q.to) }, publishedAt: q.minTime ? { gte: q.minTime } : undefined },
      orderBy: { offset: q.newest ? 'desc' : 'asc' },
      take: q.limit,
    });
    const out = rows.map((r) => ({ ...r, offset: Number(r.offset) }));
    return q.newest ? out.reverse() : out;
  }

  /** Retention: drops each app's messages older than its plan's archive retention. */
  async deleteExpired(now = Date.now()): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM "ArchivedMessage" m USING "App" a JOIN "Plan" p ON p."id" = a."planId"
      WHERE m."appId" = a."id" AND m."publishedAt" < ${new Date(now)}::timestamp(3) - make_interval(days => p."archiveRetentionDays")`;
  }
}
