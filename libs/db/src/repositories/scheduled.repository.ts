import { Injectable } from '@nestjs/common';
import type { ScheduledStatus } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma.service.js';

export interface ScheduledRecord {
  appId: string;
  id: string;
  channel: string;
  /** JSON text. */
  content: string;
  at: Date;
  status: ScheduledStatus;
  createdAt: Date;
  publishedAt: Date | null;
  offset: number | null;
  epoch: string | null;
  error: string | null;
}

type Row = Omit<ScheduledRecord, 'offset'> & { offset: bigint | null };
const toRecord = (r: Row): ScheduledRecord => ({ ...r, offset: r.offset === null ? null : Number(r.offset) });

/**
 * Scheduled publishes. State changes are conditional updates, so a cancel and a firing job racing for
 * the same message cannot both win: firing claims scheduled → publishing, a cancel needs scheduled.
 */
@Injectable()
export class ScheduledRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores it unless the app already has `maxPending` messages waiting (undefined then). Count and insert
   * run under a per-app advisory lock, so concurrent calls on any API process cannot overshoot the cap.
   */
  async createWithinCap(appId: string, m: { id: string; channel: string; content: string; at: Date }, maxPending: number): Promise<ScheduledRecord | undefined> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`scheduled:${appId}`}))`;
      const pending = await tx.scheduledMessage.count({ where: { appId, status: { in: ['scheduled', 'publishing'] } } });
      if (pending >= maxPending) return undefined;
      return toRecord(await tx.scheduledMessage.create({ data: { ...m, appId } }));
    });
  }

  async get(appId: string, id: string): Promise<ScheduledRecord | undefined> {
    const r = await this.prisma.scheduledMessage.findUnique({ where: { appId_id: { appId, id } } });
    return r ? toRecord(r) : undefined;
  }

  async list(appId: string, q: { status?: ScheduledStatus; limit: number }): Promise<ScheduledRecord[]> {
    const rows = await this.prisma.scheduledMessage.findMany({ where: { appId, status: q.status }, orderBy: { at: 'asc' }, take: q.limit });
    return rows.map(toRecord);
  }

  /**
   * Moves it out of `scheduled` (a retried job finds it `publishing` and may go on) and returns it; undefined
   * when it is cancelled, published, failed or unknown. The conditional update decides: a cancel that
   * lands first wins, one that lands after finds it no longer `scheduled`.
   */
  async claim(appId: string, id: string): Promise<ScheduledRecord | undefined> {
    const r = await this.prisma.scheduledMessage.updateMany({ where: { appId, id, status: { in: ['scheduled', 'publishing'] } }, data: { status: 'publishing' } });
    return r.count > 0 ? this.get(appId, id) : undefined;
  }

  async cancel(appId: string, id: string): Promise<boolean> {
    const r = await this.prisma.scheduledMessage.updateMany({ where: { appId, id, status: 'scheduled' }, data: { status: 'cancelled' } });
    return r.count > 0;
  }

  async published(appId: string, id: string, pos: { offset: number; epoch: string; at: Date }): Promise<void> {
    await this.prisma.scheduledMessage.updateMany({ where: { appId, id }, data: { status: 'published', offset: BigInt(pos.offset), epoch: pos.epoch, publishedAt: pos.at } });
  }

  async failed(appId: string, id: string, error: string): Promise<void> {
    await this.prisma.scheduledMessage.updateMany({ where: { appId, id, status: { in: ['scheduled', 'publishing'] } }, data: { status: 'failed', error: error.slice(0, 500) } });
  }

  async remove(appId: string, id: string): Promise<void> {
    await this.prisma.scheduledMessage.deleteMany({ where: { appId, id } });
  }

  /** System access for the worker's sweep: rows still waiting well after their time (their job was lost). */
  async overdue(before: Date, limit = 500): Promise<Array<{ appId: string; id: string; channel: string; at: Date }>> {
    return this.prisma.scheduledMessage.findMany({ where: { status: { in: ['scheduled', 'publishing'] }, at: { lt: before } }, select: { appId: true, id: true, channel: true, at: true }, take: limit });
  }
}
