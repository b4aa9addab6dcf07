import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import type { WebhookDeliveryStatus, WebhookFormat } from '../generated/prisma/client.js';

export type { WebhookFormat };
export const WEBHOOK_FORMATS: readonly WebhookFormat[] = ['herald', 'pusher'];
import { PrismaService } from '../prisma.service.js';

export interface WebhookRecord {
  id: string;
  appId: string;
  url: string;
  events: string[];
  secretCipher: string;
  enabled: boolean;
  /** `herald` (Herald's body and signature) or `pusher` (Pusher's body and X-Pusher-* headers). */
  format: WebhookFormat;
  createdAt: Date;
}

export interface NewDelivery {
  id: string;
  appId: string;
  webhookId: string;
  eventIds: string[];
  eventTypes: string[];
  body: string;
}

export interface DeliveryRecord extends NewDelivery {
  status: WebhookDeliveryStatus;
  attempts: number;
  replays: number;
  createdAt: Date;
  lastAttemptAt: Date | null;
}

export interface AttemptRecord {
  at: Date;
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export interface NewAttempt extends AttemptRecord {
  deliveryId: string;
  appId: string;
  /** The delivery's state after this attempt. */
  status: WebhookDeliveryStatus;
}

export interface DeliveryFilter {
  status?: WebhookDeliveryStatus;
  from?: Date;
  to?: Date;
  limit: number;
}

/** Webhooks, their deliveries and attempts; every query is scoped by app id. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates a webhook unless the app already has its plan's `maxWebhooks`; then answers that cap. The app row
   * is locked for the count, so concurrent creations cannot pass the cap together.
   */
  async createCapped(appId: string, w: { id: string; url: string; events: string[]; secretCipher: string; format?: WebhookFormat }): Promise<WebhookRecord | { cap: number }> {
    return this.prisma.$transaction(async (tx) => {
      // Lock first, count in the next statement: under READ COMMITTED a statement's snapshot is taken
      // before it waits for the lock, so a count in the locking statement would miss a creation just committed.
      await tx.$queryRaw`SELECT 1 FROM "App" WHERE "id" = ${appId} FOR UPDATE`;
      const [row] = await tx.$queryRaw<Array<{ cap: number; n: bigint }>>`
        SELECT p."maxWebhooks" AS cap, (SELECT count(*) FROM "Webhook" w WHERE w."appId" = a."id") AS n
        FROM "App" a JOIN "Plan" p ON p."id" = a."planId" WHERE a."id" = ${appId}`;
      if (row && Number(row.n) >= row.cap) return { cap: row.cap };
      return tx.webhook.create({ data: { ...w, appId } });
    });
  }

  list(appId: string): Promise<WebhookRecord[]> {
    return this.prisma.webhook.findMany({ where: { appId }, orderBy: { createdAt: 'asc' } });
  }

  /** Enabled webhooks of an app (the dispatcher's lookup). */
  listEnabled(appId: string): Promise<WebhookRecord[]> {
    return this.prisma.webhook.findMany({ where: { appId, enabled: true } });
  }

  async get(appId: string, id: string): Promise<WebhookRecord | undefined> {
    return (await this.prisma.webhook.findFirst({ where: { id, appId } })) ?? undefined;
  }

  async update(appId: string, id: string, patch: Partial<Pick<WebhookRecord, 'url' | 'events' | 'enabled' | 'format'>>): Promise<WebhookRecord | undefined> {
    const r = await this.prisma.webhook.updateMany({ where: { id, appId }, data: patch });
    return r.count > 0 ? this.get(appId, id) : undefined;
  }

  async delete(appId: string, id: string): Promise<boolean> {
    return (await this.prisma.webhook.deleteMany({ where: { id, appId } })).count > 0;
  }

  /**
   * Stores new deliveries; one already stored (a re-dispatched batch) is left as it is. Returns the ids
   * still to be sent: the new ones and those stored before but not delivered yet.
   */
  async createDeliveries(rows: readonly NewDelivery[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const ids = rows.map((r) => r.id);
    const done = await this.prisma.webhookDelivery.findMany({ where: { id: { in: ids }, status: 'delivered' }, select: { id: true } });
    await this.prisma.webhookDelivery.createMany({ data: [...rows], skipDuplicates: true });
    const delivered = new Set(done.map((e) => e.id));
    return new Set(ids.filter((id) => !delivered.has(id)));
  }

  async delivery(appId: string, id: string): Promise<(DeliveryRecord & { attemptLog: AttemptRecord[] }) | undefined> {
    const d = await this.prisma.webhookDelivery.findFirst({
      where: { id, appId },
      include: { attemptLog: { orderBy: { at: 'asc' }, select: { at: true, ok: true, statusCode: true, latencyMs: true, error: true } } },
    });
    return d ?? undefined;
  }

  deliveries(appId: string, webhookId: string, f: DeliveryFilter): Promise<Array<DeliveryRecord & { attemptLog: AttemptRecord[] }>> {
    return this.prisma.webhookDelivery.findMany({
      where: { appId, webhookId, status: f.status, createdAt: { gte: f.from, lte: f.to } },
      include: { attemptLog: { orderBy: { at: 'asc' }, select: { at: true, ok: true, statusCode: true, latencyMs: true, error: true } } },
      orderBy: { createdAt: 'desc' },
      take: f.limit,
    });
  }

  /** One attempt and the delivery's new state, in one statement (one round trip per attempt). */
  async recordAttempt(a: NewAttempt): Promise<void> {
    await this.prisma.$executeRaw`
      WITH attempt AS (
        INSERT INTO "WebhookAttempt" ("deliveryId", "appId", "at", "ok", "statusCode", "latencyMs", "error")
        VALUES (${a.deliveryId}, ${a.appId}, ${a.at}, ${a.ok}, ${a.statusCode}, ${a.latencyMs}, ${a.error})
      )
      UPDATE "WebhookDelivery" SET "attempts" = "attempts" + 1, "lastAttemptAt" = ${a.at},
        "status" = CAST(${a.status} AS "WebhookDeliveryStatus")
      WHERE "id" = ${a.deliveryId} AND "appId" = ${a.appId}`;
  }

  /**
   * Marks failed deliveries (one, or all of a webhook in a time range) for a replay and returns them with
   * their new replay number; the caller enqueues one job each.
   */
  async markReplay(appId: string, where: { webhookId: string; deliveryId?: string; from?: Date; to?: Date }): Promise<Array<{ id: string; webhookId: string; replays: number; body: string }>> {
    const conditions = [Prisma.sql`"appId" = ${appId}`, Prisma.sql`"webhookId" = ${where.webhookId}`];
    if (where.deliveryId) conditions.push(Prisma.sql`"id" = ${where.deliveryId}`);
    else conditions.push(Prisma.sql`"status" = 'failed'`);
    if (where.from) conditions.push(Prisma.sql`"createdAt" >= ${where.from}`);
    if (where.to) conditions.push(Prisma.sql`"createdAt" <= ${where.to}`);
    const rows = await this.prisma.$queryRaw<Array<{ id: string; webhookId: string; replays: number; body: unknown }>>`
      UPDATE "WebhookDelivery" SET "replays" = "replays" + 1, "status" = 'pending'
      WHERE ${Prisma.join(conditions, ' AND ')}
      RETURNING "id", "webhookId", "replays", "body"`;
    // Raw results may come back with JSON-looking text already parsed; the body we stored is compact JSON.
    return rows.map((r) => ({ ...r, replays: Number(r.replays), body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) }));
  }
}
