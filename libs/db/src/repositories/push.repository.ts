import { Injectable } from '@nestjs/common';
import type { PushDeliveryStatus } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma.service.js';

export type { PushDeliveryStatus };

export interface PushSubscriptionRecord {
  id: string;
  appId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  channels: string[];
  userId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewPushSubscription = Pick<PushSubscriptionRecord, 'id' | 'endpoint' | 'p256dh' | 'auth' | 'channels' | 'userId'>;

export interface PushMessageRecord {
  id: string;
  appId: string;
  channel: string;
  messageId: string;
  payload: string;
  ttl: number;
  urgency: string;
  topic: string | null;
  mode: string;
  subscriptionId: string | null;
  cursor: string | null;
  fannedOut: boolean;
}

export type NewPushMessage = Omit<PushMessageRecord, 'cursor' | 'fannedOut'>;

export interface NewPushDelivery {
  id: string;
  appId: string;
  pushMessageId: string;
  subscriptionId: string;
}

/** What a delivery job needs: its state, its message's id and the subscription (gone: null). */
export interface DeliveryTarget {
  status: PushDeliveryStatus;
  pushMessageId: string;
  subscriptionId: string;
  subscription: { endpoint: string; p256dh: string; auth: string } | null;
}

export type PushOutcome = 'delivered' | 'retry' | 'expired' | 'failed' | 'dropped';

export interface PushAttemptRecord {
  id: string;
  deliveryId: string;
  subscriptionId: string;
  channel: string;
  messageId: string;
  origin: string;
  at: Date;
  statusCode: number | null;
  outcome: string;
  latencyMs: number;
  error: string | null;
}

export type NewPushAttempt = Omit<PushAttemptRecord, 'id'> & { appId: string; status: PushDeliveryStatus };

export interface PushCounters {
  sent: number;
  delivered: number;
  expired: number;
  failed: number;
}

export interface SubscriptionFilter {
  channel?: string;
  userId?: string;
  /** The last id of the previous page (pages go in id order). */
  after?: string;
  limit: number;
}

/** Web Push state of an app: VAPID keys, subscriptions, messages, deliveries, the attempt log, counters. Every query names the app. */
@Injectable()
export class PushRepository {
  constructor(private readonly prisma: PrismaService) {}

  async vapidKeys(appId: string): Promise<{ publicKey: string; privateCipher: string } | undefined> {
    const a = await this.prisma.app.findUnique({ where: { id: appId }, select: { vapidPublicKey: true, vapidPrivateCipher: true } });
    return a?.vapidPublicKey && a.vapidPrivateCipher ? { publicKey: a.vapidPublicKey, privateCipher: a.vapidPrivateCipher } : undefined;
  }

  /** Stores keys only where the app has none: of two first uses at once, the first write wins and both read it. */
  async setVapidKeysIfMissing(appId: string, publicKey: string, privateCipher: string): Promise<{ publicKey: string; privateCipher: string } | undefined> {
    await this.prisma.app.updateMany({ where: { id: appId, vapidPublicKey: null }, data: { vapidPublicKey: publicKey, vapidPrivateCipher: privateCipher } });
    return this.vapidKeys(appId);
  }

  /**
   * Creates the subscription, or replaces the channels, keys and user of the one with the same endpoint.
   * A new one is refused past the plan's cap (the app row is locked for the count, as for webhooks).
   */
  async upsertCapped(appId: string, s: NewPushSubscription): Promise<PushSubscriptionRecord | { cap: number }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "App" WHERE "id" = ${appId} FOR UPDATE`;
      const existing = await tx.pushSubscription.findUnique({ where: { appId_endpoint: { appId, endpoint: s.endpoint } } });
      if (existing) {
        return tx.pushSubscription.update({ where: { id: existing.id }, data: { p256dh: s.p256dh, auth: s.auth, channels: s.channels, userId: s.userId } });
      }
      const [row] = await tx.$queryRaw<Array<{ cap: number; n: bigint }>>`
        SELECT p."maxPushSubscriptions" AS cap, (SELECT count(*) FROM "PushSubscription" s WHERE s."appId" = a."id") AS n
        FROM "App" a JOIN "Plan" p ON p."id" = a."planId" WHERE a."id" = ${appId}`;
      if (row && Number(row.n) >= row.cap) return { cap: row.cap };
      return tx.pushSubscription.create({ data: { ...s, appId } });
    });
  }

  async deleteByEndpoint(appId: string, endpoint: string): Promise<boolean> {
    return (await this.prisma.pushSubscription.deleteMany({ where: { appId, endpoint } })).count > 0;
  }

  async deleteById(appId: string, id: string): Promise<boolean> {
    return (await this.prisma.pushSubscription.deleteMany({ where: { appId, id } })).count > 0;
  }

  async get(appId: string, id: string): Promise<PushSubscriptionRecord | undefined> {
    return (await this.prisma.pushSubscription.findFirst({ where: { appId, id } })) ?? undefined;
  }

  list(appId: string, f: SubscriptionFilter): Promise<PushSubscriptionRecord[]> {
    return this.prisma.pushSubscription.findMany({
      where: { appId, ...(f.channel ? { channels: { has: f.channel } } : {}), ...(f.userId ? { userId: f.userId } : {}), ...(f.after ? { id: { gt: f.after } } : {}) },
      orderBy: { id: 'asc' },
      take: f.limit,
    });
  }

  count(appId: string): Promise<number> {
    return this.prisma.pushSubscription.count({ where: { appId } });
  }

  /** A page of the channel's subscriptions after `after` (fan-out), by id. */
  channelPage(appId: string, channel: string, after: string | null, limit: number): Promise<Array<{ id: string; userId: string | null }>> {
    return this.prisma.pushSubscription.findMany({
      where: { appId, channels: { has: channel }, ...(after ? { id: { gt: after } } : {}) },
      select: { id: true, userId: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
  }

  /** Stores messages (one read twice is stored once); returns those not fanned out yet. */
  async createMessages(rows: readonly NewPushMessage[]): Promise<PushMessageRecord[]> {
    if (rows.length === 0) return [];
    await this.prisma.pushMessage.createMany({ data: [...rows], skipDuplicates: true });
    return this.prisma.pushMessage.findMany({ where: { id: { in: rows.map((r) => r.id) }, fannedOut: false } });
  }

  async message(appId: string, id: string): Promise<PushMessageRecord | undefined> {
    return (await this.prisma.pushMessage.findFirst({ where: { appId, id } })) ?? undefined;
  }

  async advanceFanout(appId: string, id: string, cursor: string | null, done: boolean): Promise<void> {
    await this.prisma.pushMessage.updateMany({ where: { appId, id }, data: { cursor, fannedOut: done } });
  }

  /** Stores deliveries (a re-run page stores nothing twice); returns the ids still to send. */
  async createDeliveries(rows: readonly NewPushDelivery[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const created = await this.prisma.pushDelivery.createMany({ data: [...rows], skipDuplicates: true });
    const pending = await this.prisma.pushDelivery.findMany({ where: { id: { in: rows.map((r) => r.id) }, status: 'pending' }, select: { id: true } });
    if (created.count > 0) await this.addCounters(new Map([[rows[0].appId, { sent: created.count, delivered: 0, expired: 0, failed: 0 }]]));
    return new Set(pending.map((p) => p.id));
  }

  async deliveryTarget(appId: string, deliveryId: string): Promise<DeliveryTarget | undefined> {
    const d = await this.prisma.pushDelivery.findFirst({ where: { appId, id: deliveryId }, select: { status: true, pushMessageId: true, subscriptionId: true } });
    if (!d) return undefined;
    const s = await this.prisma.pushSubscription.findFirst({ where: { appId, id: d.subscriptionId }, select: { endpoint: true, p256dh: true, auth: true } });
    return { ...d, subscription: s };
  }

  /** One attempt and the delivery's new state, in one statement. */
  async recordAttempt(a: NewPushAttempt): Promise<void> {
    await this.prisma.$executeRaw`
      WITH attempt AS (
        INSERT INTO "PushAttempt" ("appId", "deliveryId", "subscriptionId", "channel", "messageId", "origin", "at", "statusCode", "outcome", "latencyMs", "error")
        VALUES (${a.appId}, ${a.deliveryId}, ${a.subscriptionId}, ${a.channel}, ${a.messageId}, ${a.origin}, ${a.at}, ${a.statusCode}, ${a.outcome}, ${a.latencyMs}, ${a.error})
      )
      UPDATE "PushDelivery" SET "attempts" = "attempts" + 1, "lastAttemptAt" = ${a.at}, "status" = CAST(${a.status} AS "PushDeliveryStatus")
      WHERE "id" = ${a.deliveryId} AND "appId" = ${a.appId}`;
  }

  /** A delivery that ends without a request (its subscription is gone): its state only. */
  async settle(appId: string, deliveryId: string, status: PushDeliveryStatus): Promise<void> {
    await this.prisma.pushDelivery.updateMany({ where: { appId, id: deliveryId }, data: { status } });
  }

  /** The delivery log, newest first; `before` is the id of the last attempt of the previous page. */
  async attempts(appId: string, q: { before?: bigint; limit: number }): Promise<PushAttemptRecord[]> {
    const rows = await this.prisma.pushAttempt.findMany({
      where: { appId, ...(q.before !== undefined ? { id: { lt: q.before } } : {}) },
      orderBy: { id: 'desc' },
      take: q.limit,
    });
    return rows.map(({ appId: _a, id, ...r }) => ({ ...r, id: id.toString() }));
  }

  /**
   * Retention: the delivery log, settled deliveries and fanned-out messages older than the app's plan's
   * archive retention. Returns the rows deleted.
   */
  async deleteExpired(now = Date.now()): Promise<number> {
    const at = new Date(now);
    const attempts = await this.prisma.$executeRaw`
      DELETE FROM "PushAttempt" x USING "App" a JOIN "Plan" p ON p."id" = a."planId"
      WHERE x."appId" = a."id" AND x."at" < ${at}::timestamp(3) - make_interval(days => p."archiveRetentionDays")`;
    const deliveries = await this.prisma.$executeRaw`
      DELETE FROM "PushDelivery" x USING "App" a JOIN "Plan" p ON p."id" = a."planId"
      WHERE x."appId" = a."id" AND x."status" <> 'pending' AND x."createdAt" < ${at}::timestamp(3) - make_interval(days => p."archiveRetentionDays")`;
    const messages = await this.prisma.$executeRaw`
      DELETE FROM "PushMessage" x USING "App" a JOIN "Plan" p ON p."id" = a."planId"
      WHERE x."appId" = a."id" AND x."fannedOut" AND x."createdAt" < ${at}::timestamp(3) - make_interval(days => p."archiveRetentionDays")`;
    return attempts + deliveries + messages;
  }

  async counters(appId: string): Promise<PushCounters> {
    const s = await this.prisma.pushStats.findUnique({ where: { appId } });
    return { sent: Number(s?.sent ?? 0), delivered: Number(s?.delivered ?? 0), expired: Number(s?.expired ?? 0), failed: Number(s?.failed ?? 0) };
  }

  /** Adds to apps' counters, one statement per app; an app deleted meanwhile is skipped. */
  async addCounters(byApp: ReadonlyMap<string, PushCounters>): Promise<void> {
    for (const [appId, c] of byApp) {
      await this.prisma.$executeRaw`
        INSERT INTO "PushStats" ("appId", "sent", "delivered", "expired", "failed")
        SELECT CAST(${appId} AS TEXT), CAST(${c.sent} AS BIGINT), CAST(${c.delivered} AS BIGINT), CAST(${c.expired} AS BIGINT), CAST(${c.failed} AS BIGINT)
        WHERE EXISTS (SELECT 1 FROM "App" WHERE "id" = CAST(${appId} AS TEXT))
        ON CONFLICT ("appId") DO UPDATE SET "sent" = "PushStats"."sent" + EXCLUDED."sent", "delivered" = "PushStats"."delivered" + EXCLUDED."delivered",
          "expired" = "PushStats"."expired" + EXCLUDED."expired", "failed" = "PushStats"."failed" + EXCLUDED."failed"`;
    }
  }
}
