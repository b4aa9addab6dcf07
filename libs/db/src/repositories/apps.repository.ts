import { Injectable } from '@nestjs/common';
import { newId } from '@herald/auth';
import { PrismaService } from '../prisma.service.js';
import type { App, AppStatus, Plan } from '../generated/prisma/client.js';
import type { NewKey } from './keys.repository.js';

export interface PlanLimits {
  id: string;
  name: string;
  maxConnections: number;
  maxMessagesPerDay: number | null;
  maxPublishesPerSecond: number;
  maxPayloadBytes: number;
  historySize: number;
  historyTtlSeconds: number;
  maxChannelsPerConnection: number;
  anyOrigin: boolean;
  maxScheduleDelaySeconds: number;
  archiveRetentionDays: number;
  /** Scheduled messages of an app waiting for their time. */
  maxScheduledPending: number;
  /** Webhook endpoints per app. */
  maxWebhooks: number;
  /** Pusher client events one connection may send per second. */
  maxClientEventsPerSecond: number;
  /** Events per Pusher `batch_events` request. */
  maxPusherBatchEvents: number;
  /** Web Push subscriptions per app. */
  maxPushSubscriptions: number;
}

/** A plan as the plan lists show it: its limits and whether a customer may pick it. */
export interface PlanOffer extends PlanLimits {
  /** A customer may pick it; other plans (demo, custom) are the operator's to assign. */
  selectable: boolean;
}

export interface AppRecord {
  id: string;
  accountId: string;
  name: string;
  region: string;
  status: AppStatus;
  allowedOrigins: string[];
  privatePrefixes: string[];
  /** Pusher client events (`client-*`) allowed on its private and presence channels. */
  clientEvents: boolean;
  /** Pusher `subscription_count` events sent to its channels' Pusher subscribers. */
  subscriptionCount: boolean;
  plan: PlanLimits;
  /** The effective window: the app's own setting, never above its plan's. */
  historySize: number;
  historyTtlSeconds: number;
  /** The app's own (lowered) window as set; null = the plan's. */
  historySizeOverride: number | null;
  historyTtlSecondsOverride: number | null;
  suspendedReason: string | null;
  suspendedAt: Date | null;
  createdAt: Date;
}

export function toPlanLimits(p: Plan): PlanLimits {
  return {
    id: p.id,
    name: p.name,
    maxConnections: p.maxConnections,
    maxMessagesPerDay: p.maxMessagesPerDay === null ? null : Number(p.maxMessagesPerDay),
    maxPublishesPerSecond: p.maxPublishesPerSecond,
    maxPayloadBytes: p.maxPayloadBytes,
    historySize: p.historySize,
    historyTtlSeconds: p.historyTtlSeconds,
    maxChannelsPerConnection: p.maxChannelsPerConnection,
    anyOrigin: p.anyOrigin,
    maxScheduleDelaySeconds: p.maxScheduleDelaySeconds,
    archiveRetentionDays: p.archiveRetentionDays,
    maxScheduledPending: p.maxScheduledPending,
    maxWebhooks: p.maxWebhooks,
    maxClientEventsPerSecond: p.maxClientEventsPerSecond,
    maxPusherBatchEvents: p.maxPusherBatchEvents,
    maxPushSubscriptions: p.maxPushSubscriptions,
  };
}

export function toAppRecord(a: App & { plan: Plan }): AppRecord {
  const plan = toPlanLimits(a.plan);
  return {
    id: a.id,
    accountId: a.accountId,
    name: a.name,
    region: a.region,
    status: a.status,
    allowedOrigins: a.allowedOrigins,
    privatePrefixes: a.privatePrefixes,
    clientEvents: a.clientEvents,
    subscriptionCount: a.subscriptionCount,
    plan,
    historySize: Math.min(a.historySize ?? plan.historySize, plan.historySize),
    historyTtlSeconds: Math.min(a.historyTtlSeconds ?? plan.historyTtlSeconds, plan.historyTtlSeconds),
    historySizeOverride: a.historySize,
    historyTtlSecondsOverride: a.historyTtlSeconds,
    suspendedReason: a.suspendedReason,
    suspendedAt: a.suspendedAt,
    createdAt: a.createdAt,
  };
}

export interface NewApp {
  id: string;
  name: string;
  region?: string;
  planId: string;
  allowedOrigins: string[];
  historySize?: number;
  historyTtlSeconds?: number;
  /** Web Push keys made with the app (PushKeys.issue). */
  vapidPublicKey?: string;
  vapidPrivateCipher?: string;
}

/** What the owner may change (null history fields = back to the plan's window). */
export interface AppPatch {
  name?: string;
  region?: string;
  planId?: string;
  allowedOrigins?: string[];
  privatePrefixes?: string[];
  clientEvents?: boolean;
  subscriptionCount?: boolean;
  historySize?: number | null;
  historyTtlSeconds?: number | null;
}

/** Apps, always scoped by the owning account: a query without the account id does not compile. */
@Injectable()
export class AppsRepository {
  constructor(private readonly prisma: PrismaService) {}

  findPlan(planId: string): Promise<Plan | null> {
    return this.prisma.plan.findUnique({ where: { id: planId } });
  }

  async create(accountId: string, app: NewApp): Promise<AppRecord> {
    const a = await this.prisma.app.create({ data: { ...app, accountId }, include: { plan: true } });
    return toAppRecord(a);
  }

  /** The app and its first keys in one statement: an app never exists without its keys. */
  async createWithKeys(accountId: string, app: NewApp, keys: NewKey[]): Promise<AppRecord> {
    const a = await this.prisma.app.create({
      data: { ...app, accountId, keys: { create: keys.map((k) => ({ ...k, id: newId('key') })) } },
      include: { plan: true },
    });
    return toAppRecord(a);
  }

  async update(accountId: string, appId: string, patch: AppPatch): Promise<AppRecord | undefined> {
    const r = await this.prisma.app.updateMany({ where: { id: appId, accountId }, data: patch });
    return r.count > 0 ? this.get(accountId, appId) : undefined;
  }

  /** Every plan, or (`selectableOnly`) those a customer may pick. */
  async listPlans(selectableOnly: boolean): Promise<PlanOffer[]> {
    const rows = await this.prisma.plan.findMany({ where: selectableOnly ? { selectable: true } : {}, orderBy: [{ maxConnections: 'asc' }, { id: 'asc' }] });
    return rows.map((p) => ({ ...toPlanLimits(p), selectable: p.selectable }));
  }

  async list(accountId: string): Promise<AppRecord[]> {
    const rows = await this.prisma.app.findMany({ where: { accountId }, include: { plan: true }, orderBy: { createdAt: 'asc' } });
    return rows.map(toAppRecord);
  }

  async get(accountId: string, appId: string): Promise<AppRecord | undefined> {
    const a = await this.prisma.app.findFirst({ where: { id: appId, accountId }, include: { plan: true } });
    return a ? toAppRecord(a) : undefined;
  }

  /** System access for the worker (no account scope): the app a job belongs to. */
  async findForSystem(appId: string): Promise<AppRecord | undefined> {
    const a = await this.prisma.app.findUnique({ where: { id: appId }, include: { plan: true } });
    return a ? toAppRecord(a) : undefined;
  }

  async delete(accountId: string, appId: string): Promise<boolean> {
    const r = await this.prisma.app.deleteMany({ where: { id: appId, accountId } });
    return r.count > 0;
  }
}
