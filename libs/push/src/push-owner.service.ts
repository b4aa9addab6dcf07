import { Injectable } from '@nestjs/common';
import { HeraldError, assertChannel, parsePushNotice, pushPayload, PUSH_TTL_DEFAULT_SECONDS } from '@herald/protocol';
import { randomBase62 } from '@herald/auth';
import { AppsRepository, PushRepository, type PushAttemptRecord, type PushCounters, type PushSubscriptionRecord } from '@herald/db';
import { PushKeys } from './vapid-keys.js';
import { PushDispatcher } from './push-dispatcher.js';

export interface PushOverview {
  publicKey: string;
  stats: PushCounters;
  subscriptions: number;
}

export interface TestPushInput {
  subscriptionId?: unknown;
  channel?: unknown;
  title?: unknown;
  body?: unknown;
}

/** Web Push for an app's owner (dashboard session): keys, counters, subscriptions, the delivery log, test notifications. */
@Injectable()
export class PushOwner {
  constructor(
    private readonly apps: AppsRepository,
    private readonly repo: PushRepository,
    private readonly keys: PushKeys,
    private readonly dispatcher: PushDispatcher,
  ) {}

  async overview(accountId: string, appId: string): Promise<PushOverview> {
    await this.app(accountId, appId);
    const [publicKey, stats, subscriptions] = await Promise.all([this.keys.publicKey(appId), this.repo.counters(appId), this.repo.count(appId)]);
    return { publicKey, stats, subscriptions };
  }

  async subscriptions(accountId: string, appId: string, f: { channel?: string; userId?: string; cursor?: string; limit: number }): Promise<{ subscriptions: PushSubscriptionRecord[]; nextCursor: string | null }> {
    await this.app(accountId, appId);
    const rows = await this.repo.list(appId, { channel: f.channel, userId: f.userId, after: f.cursor, limit: f.limit });
    return { subscriptions: rows, nextCursor: rows.length === f.limit ? rows[rows.length - 1].id : null };
  }

  async deleteSubscription(accountId: string, appId: string, id: string): Promise<void> {
    await this.app(accountId, appId);
    if (!(await this.repo.deleteById(appId, id))) throw new HeraldError('push_subscription_not_found');
  }

  /** The delivery log, newest attempt first; `cursor` is the last id of the previous page. */
  async deliveries(accountId: string, appId: string, q: { cursor?: string; limit: number }): Promise<{ attempts: PushAttemptRecord[]; nextCursor: string | null }> {
    await this.app(accountId, appId);
    if (q.cursor !== undefined && !/^\d{1,19}$/.test(q.cursor)) throw new HeraldError('invalid_request', 'cursor must be the nextCursor of a previous page');
    const rows = await this.repo.attempts(appId, { before: q.cursor === undefined ? undefined : BigInt(q.cursor), limit: q.limit });
    return { attempts: rows, nextCursor: rows.length === q.limit ? rows[rows.length - 1].id : null };
  }

  /** A test notification to one subscription, or to every subscription of a channel; not a publish (nothing in history). */
  async test(accountId: string, appId: string, input: TestPushInput): Promise<{ id: string }> {
    await this.app(accountId, appId);
    const hasSub = input.subscriptionId !== undefined && input.subscriptionId !== null;
    const hasChannel = input.channel !== undefined && input.channel !== null;
    if (hasSub === hasChannel) throw new HeraldError('invalid_request', 'Give either subscriptionId or channel');
    const notice = parsePushNotice({ title: input.title, body: input.body });
    let channel: string;
    let subscriptionId: string | null = null;
    if (hasSub) {
      const sub = typeof input.subscriptionId === 'string' ? await this.repo.get(appId, input.subscriptionId) : undefined;
      if (!sub) throw new HeraldError('push_subscription_not_found');
      subscriptionId = sub.id;
      channel = sub.channels[0] ?? '';
    } else {
      channel = assertChannel(input.channel);
    }
    const messageId = `test-${randomBase62(16)}`;
    const id = `pm_test_${randomBase62(16)}`;
    await this.dispatcher.send([{ id, appId, channel, messageId, payload: pushPayload(notice, channel, messageId), ttl: PUSH_TTL_DEFAULT_SECONDS, urgency: 'normal', topic: null, mode: 'always', subscriptionId }]);
    return { id };
  }

  private async app(accountId: string, appId: string): Promise<void> {
    if (!(await this.apps.get(accountId, appId))) throw new HeraldError('app_not_found');
  }
}
