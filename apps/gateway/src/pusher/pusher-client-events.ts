import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { EventsFeed } from '@herald/bus';
import { GatewayMetrics } from '@herald/observability';
import { HeraldError, PRESENCE_PREFIX, PRIVATE_PREFIX } from '@herald/protocol';
import { PublishService } from '@herald/publishing';
import type { Session } from '../session/session.js';
import { pusherCodeFor } from './pusher-codes.js';
import { pusherError } from './pusher-frames.js';
import type { PusherTransport } from './pusher-transport.js';

/** Pusher's longest event name. */
const MAX_EVENT_NAME = 200;
export const ENCRYPTED_PREFIX = `${PRIVATE_PREFIX}encrypted-`;

/** One connection's client-event budget: a token bucket refilled at the plan's rate. */
class Bucket {
  private tokens: number;
  private at: number;

  constructor(perSecond: number, now: number) {
    this.tokens = perSecond;
    this.at = now;
  }

  take(perSecond: number, now: number): boolean {
    this.tokens = Math.min(perSecond, this.tokens + ((now - this.at) * perSecond) / 1000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Pusher's client events (`client-*`), sent by a socket to the others on a private or presence channel
 * it is subscribed to, when the app enables them (App.clientEvents). Each is a publish through the one
 * publish use case (kept in the channel's history, charged to the app's rate, quota and usage like any
 * message), excluding the sender's socket, with `user_id` on presence channels; then a `client.event`
 * on the events feed for webhooks. A refusal is `pusher:error` with code null (Pusher's), the plan's
 * per-connection rate (maxClientEventsPerSecond) or the app's publish rate 4301; the socket stays open.
 */
@Injectable()
export class PusherClientEvents {
  private readonly buckets = new WeakMap<Session, Bucket>();
  private readonly logger;

  constructor(
    private readonly publisher: PublishService,
    private readonly feed: EventsFeed,
    private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'pusher-client-events' });
  }

  async send(session: Session, transport: PusherTransport, event: string, channel: unknown, data: unknown): Promise<void> {
    const refusal = refusalOf(session, event, channel);
    if (refusal !== undefined) return transport.write(pusherError(`Client event rejected: ${refusal}`, null));
    const ch = channel as string;
    const perSecond = session.ctx.app.plan.maxClientEventsPerSecond;
    const now = Date.now();
    const bucket = this.buckets.get(session) ?? new Bucket(perSecond, now);
    this.buckets.set(session, bucket);
    if (!bucket.take(perSecond, now)) {
      return transport.write(pusherError(`Client event rejected: at most ${perSecond} client events per second per connection`, pusherCodeFor('client_event_rate')));
    }
    const userId = transport.presenceUsers.get(ch);
    this.metrics.messageIn('pusher');
    try {
      await this.publisher.publish(session.ctx, { channel: ch, message: data, event, exclude: transport.socketId, pusherUserId: userId, authorized: true }, now);
    } catch (e) {
      const err = e instanceof HeraldError ? e : new HeraldError('internal_error');
      if (!(e instanceof HeraldError)) this.logger.error({ err: (e as Error)?.message, session: session.id }, 'client event failed');
      return transport.write(pusherError(`Client event rejected: ${err.message}`, err.reason === 'rate_limited' ? pusherCodeFor('client_event_rate') : null));
    }
    this.metrics.publishAccepted();
    const webhook = { channel: ch, event, data, socket_id: transport.socketId, ...(userId !== undefined ? { user_id: userId } : {}) };
    await this.feed.append(session.appId, ch, 'client.event', webhook, now).catch((e: Error) => this.logger.warn({ err: e.message }, 'client.event not appended to the events feed'));
  }
}

/** Why a client event may not be sent at all, or undefined when it may (the rate aside). */
function refusalOf(session: Session, event: string, channel: unknown): string | undefined {
  if (event.length > MAX_EVENT_NAME) return `event names are at most ${MAX_EVENT_NAME} characters`;
  if (typeof channel !== 'string') return 'a channel is required';
  if (!session.ctx.app.clientEvents) return 'client events are not enabled for this app (enable them in its settings)';
  if (session.ctx.keyKind === 'subscribe') return 'a subscribe key may not send client events';
  if (!(channel.startsWith(PRIVATE_PREFIX) || channel.startsWith(PRESENCE_PREFIX)) || channel.startsWith(ENCRYPTED_PREFIX)) {
    return 'client events are only supported on private and presence channels (not encrypted ones)';
  }
  if (!session.subscriptions.has(channel)) return `not subscribed to ${channel}`;
  return undefined;
}
