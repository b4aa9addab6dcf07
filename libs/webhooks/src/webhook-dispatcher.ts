import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import type { ChannelEvent } from '@herald/bus';
import { WebhookProducer } from '@herald/queue';
import { WebhooksRepository, type NewDelivery, type WebhookFormat } from '@herald/db';
import { WebhookDirectory, type ActiveWebhook } from './webhook-directory.js';
import { isHeldInPusherFormat, toPusherEvent, type PusherWebhookBody } from './pusher-format.js';

/** The JSON body of a delivery (docs/webhooks.md). */
export interface DeliveryBody {
  id: string;
  appId: string;
  webhookId: string;
  time: number;
  events: Array<Omit<ChannelEvent, 'appId'>>;
}

/**
 * Turns events into deliveries: per app and endpoint, the events it subscribed to, in order, in chunks of
 * at most HERALD_WEBHOOK_MAX_EVENTS, in the endpoint's format: Herald's body, or Pusher's `{time_ms,
 * events}` without the events Pusher has no webhook for, with `channel_vacated` / `member_removed` in
 * deliveries of their own sent HERALD_PUSHER_WEBHOOK_HOLD_MS later (PusherWebhookHold). A delivery's id
 * and body follow from its events alone, so a batch dispatched twice (a worker killed before
 * acknowledging it) is stored and enqueued once.
 */
@Injectable()
export class WebhookDispatcher {
  constructor(
    private readonly directory: WebhookDirectory,
    private readonly repo: WebhooksRepository,
    private readonly producer: WebhookProducer,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** Returns the number of deliveries made. */
  async dispatch(events: readonly ChannelEvent[]): Promise<number> {
    const byApp = new Map<string, ChannelEvent[]>();
    for (const e of events) {
      const list = byApp.get(e.appId);
      if (list) list.push(e);
      else byApp.set(e.appId, [e]);
    }
    const rows: NewDelivery[] = [];
    const held = new Set<string>();
    const add = (appId: string, hook: ActiveWebhook, events: readonly ChannelEvent[], hold: boolean) => {
      for (let i = 0; i < events.length; i += this.config.webhooks.maxEvents) {
        const row = delivery(appId, hook.id, events.slice(i, i + this.config.webhooks.maxEvents), hook.format);
        rows.push(row);
        if (hold) held.add(row.id);
      }
    };
    for (const [appId, appEvents] of byApp) {
      for (const hook of await this.directory.ofApp(appId)) {
        const wanted = appEvents.filter((e) => hook.events.has(e.type));
        if (hook.format === 'herald') add(appId, hook, wanted, false);
        else {
          const pusher = wanted.filter((e) => toPusherEvent(e) !== undefined);
          add(appId, hook, pusher.filter((e) => !isHeldInPusherFormat(e)), false);
          add(appId, hook, pusher.filter(isHeldInPusherFormat), true);
        }
      }
    }
    if (rows.length === 0) return 0;
    const toSend = await this.repo.createDeliveries(rows);
    // Not only the new ones: a batch cut by a crash between the two steps gets its jobs now. Never
    // one already delivered (a batch re-read after its deliveries went out).
    const holdMs = this.config.pusher.webhookHoldMs;
    await this.producer.enqueue(
      rows.filter((r) => toSend.has(r.id)).map((r) => ({ appId: r.appId, webhookId: r.webhookId, deliveryId: r.id, body: r.body, delayMs: held.has(r.id) ? holdMs : undefined })),
    );
    return rows.length;
  }
}

function delivery(appId: string, webhookId: string, events: readonly ChannelEvent[], format: WebhookFormat): NewDelivery {
  const id = `whd_${createHash('sha256').update(webhookId).update(events.map((e) => e.id).join(',')).digest('base64url').slice(0, 24)}`;
  const time = Math.max(...events.map((e) => e.time));
  const body: DeliveryBody | PusherWebhookBody =
    format === 'pusher'
      ? { time_ms: time, events: events.map((e) => toPusherEvent(e)!) }
      : { id, appId, webhookId, time, events: events.map(({ appId: _a, ...e }) => e) };
  return { id, appId, webhookId, eventIds: events.map((e) => e.id), eventTypes: [...new Set(events.map((e) => e.type))], body: JSON.stringify(body) };
}
