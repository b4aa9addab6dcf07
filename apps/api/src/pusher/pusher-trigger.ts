import { Inject, Injectable } from '@nestjs/common';
import { PUSHER_USER_CHANNEL_PREFIX, toPusherChannel, userChannel } from '@herald/auth';
import { CONFIG, type HeraldConfig } from '@herald/config';
import type { AppContext } from '@herald/db';
import { GatewayMetrics } from '@herald/observability';
import { HeraldError, isValidChannel } from '@herald/protocol';
import { PublishService, type PublishInput } from '@herald/publishing';
import { PusherChannelQueries, parseInfo, type ChannelAttribute, type ChannelAttributes } from './pusher-channel-queries.js';
import { PusherHttpError } from './pusher-request-auth.js';
import { pusherUserId } from './pusher-users.js';

/** Pusher's limits on an event name and a socket id's shape. */
const MAX_EVENT_NAME = 200;
const SOCKET_ID = /^\d{1,20}\.\d{1,20}$/;
const TRIGGER_INFO: readonly ChannelAttribute[] = ['user_count', 'subscription_count'];

/** One event of a trigger or a batch, checked. */
interface PusherEvent {
  name: string;
  data: string;
  channels: string[];
  socket_id?: string;
  info: Set<ChannelAttribute>;
}

/** A channel of a trigger as Herald names it: `#server-to-user-{id}` (sendToUser) is the user's internal channel. */
function toHeraldChannel(raw: unknown): string {
  const name = typeof raw === 'string' ? raw : '';
  if (name.startsWith(PUSHER_USER_CHANNEL_PREFIX)) {
    return userChannel(pusherUserId(name.slice(PUSHER_USER_CHANNEL_PREFIX.length)));
  }
  if (!isValidChannel(name)) throw new PusherHttpError(400, `Invalid channel name ${JSON.stringify(String(raw).slice(0, 40))}`);
  return name;
}

function asObject(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PusherHttpError(400, `${what} must be a JSON object`);
  return raw as Record<string, unknown>;
}

export function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new PusherHttpError(400, 'Request body is not valid JSON');
  }
}

/**
 * Pusher's triggers (`events`, `batch_events`): each event on each channel is a durable publish through
 * the same use case as `/v1/publish`, all of one request charged together. A request is checked whole
 * before anything is published (names, channels, sizes), so a refused request publishes nothing.
 */
@Injectable()
export class PusherTrigger {
  constructor(
    private readonly publisher: PublishService,
    private readonly queries: PusherChannelQueries,
    private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** POST /apps/{id}/events → `{}`, or `{channels: {name: attributes}}` when `info` asked for some. */
  async events(ctx: AppContext, body: Buffer): Promise<{ channels?: Record<string, ChannelAttributes> }> {
    const b = asObject(parseJsonBody(body), 'Request body');
    const channels = b.channels ?? (b.channel === undefined ? undefined : [b.channel]);
    const max = this.config.pusher.maxTriggerChannels;
    if (!Array.isArray(channels) || channels.length === 0 || channels.length > max) throw new PusherHttpError(400, `channels must list 1-${max} channels`);
    const event = this.parseEvent(ctx, { ...b, channels });
    await this.publish(ctx, [event]);
    if (event.info.size === 0) return {};
    const attrs = await this.queries.attributes(ctx.app.id, event.channels, event.info);
    return { channels: Object.fromEntries(event.channels.map((c, i) => [toPusherChannel(c), attrs[i]])) };
  }

  /** POST /apps/{id}/batch_events → `{}`, or `{batch: [attributes per event]}` when some event asked `info`. */
  async batch(ctx: AppContext, body: Buffer): Promise<{ batch?: ChannelAttributes[] }> {
    const batch = asObject(parseJsonBody(body), 'Request body').batch;
    const max = ctx.app.plan.maxPusherBatchEvents;
    if (!Array.isArray(batch) || batch.length === 0 || batch.length > max) throw new PusherHttpError(400, `batch must list 1-${max} events`);
    const events = batch.map((raw, i) => {
      const e = asObject(raw, `batch[${i}]`);
      return this.parseEvent(ctx, { ...e, channels: [e.channel] });
    });
    await this.publish(ctx, events);
    if (events.every((e) => e.info.size === 0)) return {};
    return { batch: await Promise.all(events.map(async (e) => (await this.queries.attributes(ctx.app.id, e.channels, e.info))[0])) };
  }

  private parseEvent(ctx: AppContext, b: Record<string, unknown>): PusherEvent {
    const { name, data, socket_id, channels } = b;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_EVENT_NAME) throw new PusherHttpError(400, `name must be a string of 1-${MAX_EVENT_NAME} characters`);
    if (typeof data !== 'string') throw new PusherHttpError(400, 'data must be a string');
    const size = Buffer.byteLength(data, 'utf8');
    if (size > ctx.app.plan.maxPayloadBytes) throw new HeraldError('payload_too_large', `Message is ${size} bytes; the plan allows ${ctx.app.plan.maxPayloadBytes}`);
    const list = (channels as unknown[]).map(toHeraldChannel);
    if (socket_id !== undefined && (typeof socket_id !== 'string' || !SOCKET_ID.test(socket_id))) throw new PusherHttpError(400, 'Invalid socket_id');
    if (new Set(list).size !== list.length) throw new PusherHttpError(400, 'channels must not repeat a channel');
    return { name, data, channels: list, socket_id, info: parseInfo(b.info, TRIGGER_INFO) };
  }

  private async publish(ctx: AppContext, events: readonly PusherEvent[]): Promise<void> {
    const items: PublishInput[] = events.flatMap((e) => e.channels.map((channel) => ({ channel, message: e.data, event: e.name, exclude: e.socket_id })));
    this.metrics.messageIn('rest');
    const results = await this.publisher.publishBatch(ctx, items);
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) throw failed.error;
    for (let i = 0; i < results.length; i++) this.metrics.publishAccepted();
  }
}
