import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service.js';

export interface ArchiveRow {
  appId: string;
  channel: string;
  epoch: string;
  offset: number;
  messageId: string;
  content: unknown;
  publishedAt: Date;
}

/** Long history in Postgres, written in batches by the worker. Re-inserting a row is a no-op. */
@Injectable()
export class ArchiveRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insertBatch(rows: ArchiveRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const r = await this.prisma.archivedMessage.createMany({
      data: rows.map((m) => ({ ...m, offset: BigInt(m.offset), content: m.content as object })),
      skipDuplicates: true,
    });
    return r.count;
  }

  async count(appId: string, channel: string): Promise<number> {
    return this.prisma.archivedMessage.count({ where: { appId, channel } });
  }
}
