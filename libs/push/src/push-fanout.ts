import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { PresenceStore } from '@herald/bus';
import { PushProducer } from '@herald/queue';
import { PushRepository, type NewPushDelivery, type PushMessageRecord } from '@herald/db';

/** A delivery's id follows from its message and subscription: a page fanned out twice makes each once. */
export function pushDeliveryId(pushMessageId: string, subscriptionId: string): string {
  return `pd_${createHash('sha256').update(`${pushMessageId}|${subscriptionId}`).digest('base64url').slice(0, 24)}`;
}

/**
 * Fans a push message out to its channel's subscriptions, HERALD_PUSH_FANOUT_PAGE at a time: each page's
 * deliveries are stored, their jobs enqueued, then the message's cursor moves past the page. A job cut
 * short (a killed worker) resumes from the cursor; a page done twice stores and enqueues nothing twice.
 * `offline` messages skip the subscriptions whose user has a live connection on the channel now, as
 * presence knows it (subscriptions without a user id cannot be told apart, and always get the push).
 */
@Injectable()
export class PushFanout {
  constructor(
    private readonly repo: PushRepository,
    private readonly presence: PresenceStore,
    private readonly producer: PushProducer,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** Returns how many deliveries it enqueued. */
  async run(appId: string, pushMessageId: string): Promise<number> {
    const m = await this.repo.message(appId, pushMessageId);
    if (!m || m.fannedOut) return 0;
    let cursor = m.cursor;
    let enqueued = 0;
    for (;;) {
      const page = await this.page(m, cursor);
      if (page.length > 0) enqueued += await this.deliver(m, page);
      if (page.length > 0) cursor = page[page.length - 1].id;
      const done = page.length < this.config.push.fanoutPage || m.subscriptionId !== null;
      await this.repo.advanceFanout(appId, m.id, cursor, done);
      if (done) return enqueued;
    }
  }

  private async page(m: PushMessageRecord, after: string | null): Promise<Array<{ id: string; userId: string | null }>> {
    if (m.subscriptionId === null) return this.repo.channelPage(m.appId, m.channel, after, this.config.push.fanoutPage);
    const one = after === null ? await this.repo.get(m.appId, m.subscriptionId) : undefined;
    return one ? [{ id: one.id, userId: one.userId }] : [];
  }

  private async deliver(m: PushMessageRecord, page: ReadonlyArray<{ id: string; userId: string | null }>): Promise<number> {
    let targets = page;
    if (m.mode === 'offline') {
      const users = [...new Set(page.flatMap((s) => (s.userId ? [s.userId] : [])))];
      const online = await this.presence.liveUsers(m.appId, m.channel, users);
      targets = page.filter((s) => s.userId === null || !online.has(s.userId));
    }
    const rows: NewPushDelivery[] = targets.map((s) => ({ id: pushDeliveryId(m.id, s.id), appId: m.appId, pushMessageId: m.id, subscriptionId: s.id }));
    const toSend = await this.repo.createDeliveries(rows);
    const jobs = rows.filter((r) => toSend.has(r.id)).map((r) => ({ appId: r.appId, deliveryId: r.id }));
    await this.producer.deliver(jobs);
    return jobs.length;
  }
}
