import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError, PRESENCE_PREFIX, PRIVATE_PREFIX, closeReason, parsePosition, type Position } from '@herald/protocol';
import { pusherCodeFor } from './pusher-codes.js';
import type { Admitted } from '../connect/connect-auth.js';
import type { PusherUpgrades } from '../ws/herald-ws.adapter.js';
import { SessionCore } from '../session/session-core.js';
import type { Session } from '../session/session.js';
import { PusherChannelAuth } from './pusher-channel-auth.js';
import { PusherSignin } from './pusher-signin.js';
import { PusherPresence } from './pusher-presence.js';
import { PusherCache } from './pusher-cache.js';
import { PusherSubscriptionCount } from './pusher-subscription-count.js';
import { PusherClientEvents } from './pusher-client-events.js';
import { PONG, pusherError, subscriptionError, subscriptionSucceeded } from './pusher-frames.js';
import { PusherTransport } from './pusher-transport.js';

/** Bytes a Pusher socket may have queued before its reader counts as too slow (as for /ws). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Pusher's `socket_id` shape (server libraries check it): two decimal numbers. */
const SOCKET_PART = 2 ** 40;

const SESSION = Symbol('pusher-session');
type PusherSocket = WebSocket & { [SESSION]: { session: Session; transport: PusherTransport } };
const stateOf = (ws: WebSocket) => (ws as PusherSocket)[SESSION];

/** A client frame of Pusher's protocol: `data` is an object (pusher-js) or its JSON text. */
interface PusherInbound {
  event: string;
  /** `data` as an object (that of Pusher's own events), {} when it is none. */
  data: Record<string, unknown>;
  /** `data` as sent (a client event's payload) and the frame's channel (a client event's). */
  payload: unknown;
  channel: unknown;
}

function decode(text: string): PusherInbound | undefined {
  let f: { event?: unknown; data?: unknown; channel?: unknown };
  try {
    f = JSON.parse(text) as typeof f;
  } catch {
    return undefined;
  }
  if (typeof f !== 'object' || f === null || typeof f.event !== 'string') return undefined;
  return { event: f.event, data: asObject(f.data), payload: f.data, channel: f.channel };
}

function asObject(raw: unknown): Record<string, unknown> {
  let data = raw;
  if (typeof raw === 'string') {
    try {
      data = JSON.parse(raw) as unknown;
    } catch {
      return {};
    }
  }
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

/**
 * Herald's replay extension (herald-pusher): `herald_position: {offset, epoch}` resumes the channel after
 * that position, `null` subscribes from now on as a plugin client (it gets `herald:reset` frames). Absent:
 * Pusher's behaviour. A malformed position is refused like Herald's own (`invalid_position`).
 */
function heraldPosition(data: Record<string, unknown>): Position | null | undefined {
  const p = data.herald_position;
  if (p === undefined || p === null) return p;
  if (typeof p !== 'object' || Array.isArray(p)) throw new HeraldError('invalid_position', 'herald_position must be {offset, epoch}');
  const { offset, epoch } = p as Record<string, unknown>;
  return parsePosition(offset, epoch) ?? null;
}

/**
 * Pusher's protocol 7 on `/app/{key}` (issue 15): a thin translator over the same session core, channel
 * hub and publish use case as Herald's WebSocket, so a Pusher trigger and a Herald publish on one channel
 * share offsets, history and limits. The connect check (key, Origin, connection slot) happened in the
 * upgrade (HeraldWsAdapter); this class maps Pusher's client events onto the core.
 */
@Injectable()
export class PusherConnections implements PusherUpgrades {
  private readonly onMessage: (this: WebSocket, data: Buffer) => void;
  private readonly onPong: (this: WebSocket) => void;
  private readonly onGone: (this: WebSocket) => void;
  private readonly activityTimeout: number;

  constructor(
    private readonly core: SessionCore,
    private readonly channelAuth: PusherChannelAuth,
    private readonly presence: PusherPresence,
    private readonly clientEvents: PusherClientEvents,
    private readonly cache: PusherCache,
    private readonly counts: PusherSubscriptionCount,
    private readonly signin: PusherSignin,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    const self = this;
    this.onMessage = function (data) {
      self.receive(stateOf(this).session, stateOf(this).transport, data.toString('utf8'));
    };
    this.onPong = function () {
      core.alive(stateOf(this).session);
    };
    this.onGone = function () {
      core.closed(stateOf(this).session);
    };
    // pusher-js pings after this many seconds of silence; the core closes a socket silent past ping + pong timeout.
    this.activityTimeout = Math.max(1, Math.round(config.pingIntervalMs / 1000));
  }

  accept(ws: WebSocket, connect: Admitted): void {
    const socketId = `${randomInt(1, SOCKET_PART)}.${randomInt(1, SOCKET_PART)}`;
    const transport = new PusherTransport(ws, MAX_BUFFERED_BYTES, this.config.pingIntervalMs, socketId, this.activityTimeout);
    const session = this.core.open(connect, transport);
    (ws as PusherSocket)[SESSION] = { session, transport };
    ws.on('message', this.onMessage);
    ws.on('pong', this.onPong);
    ws.on('close', this.onGone);
    ws.on('error', this.onGone);
  }

  /** A refused upgrade, as Pusher refuses: `pusher:error` with the code, then a close with it. */
  refuse(ws: WebSocket, reason: string, detail: string): void {
    const code = pusherCodeFor(reason);
    ws.send(pusherError(detail, code));
    ws.close(code, closeReason(`${reason}: ${detail}`));
  }

  private receive(session: Session, transport: PusherTransport, text: string): void {
    this.core.alive(session);
    const frame = decode(text);
    if (!frame) return transport.write(pusherError('Malformed frame: expected {"event": …, "data": …}', null));
    switch (frame.event) {
      case 'pusher:ping':
        return transport.write(PONG);
      case 'pusher:pong':
        return;
      case 'pusher:subscribe': {
        const channel = frame.data.channel;
        if (this.signin.isUserChannel(channel)) return this.core.enqueue(session, () => this.signin.subscribe(session, transport, channel));
        return this.core.enqueue(session, () => this.subscribe(session, transport, frame.data));
      }
      case 'pusher:signin':
        return this.core.enqueue(session, () => this.signin.signin(session, transport, frame.data));
      case 'pusher:unsubscribe': {
        const channel = frame.data.channel;
        if (typeof channel === 'string') this.core.enqueue(session, () => this.unsubscribe(session, transport, channel));
        return;
      }
      default:
        if (frame.event.startsWith('client-')) return this.core.enqueue(session, () => this.clientEvents.send(session, transport, frame.event, frame.channel, frame.payload));
        return transport.write(pusherError(`Unsupported event ${frame.event.slice(0, 60)}`, null));
    }
  }

  private async subscribe(session: Session, transport: PusherTransport, data: Record<string, unknown>): Promise<void> {
    const channel = data.channel;
    if (typeof channel !== 'string') return transport.write(pusherError('pusher:subscribe needs a channel', null));
    try {
      if (channel.startsWith(PRESENCE_PREFIX)) return await this.presence.subscribe(session, transport, channel, data);
      // private- and private-encrypted- alike: the auth is checked here; an encrypted channel's payloads
      // (sealed by the customer's server library) pass untouched, and its client events are refused.
      const isPrivate = channel.startsWith(PRIVATE_PREFIX);
      if (isPrivate) await this.channelAuth.check(session, transport.socketId, channel, data.auth);
      // herald-pusher's position (replay, docs/pusher.md) wins over a cache channel's last event.
      const position = heraldPosition(data);
      const since = position === undefined ? await this.cache.since(session, channel) : (position ?? undefined);
      if (position !== undefined && !session.subscriptions.has(channel)) transport.resuming.set(channel, position);
      // Subscription errors come back from the core as error frames with the channel (subscription_error).
      // A plain Pusher subscription gets subscription_succeeded from the core's `subscribed` frame (before a
      // cache channel's last event, as Pusher); a resuming one here, after the replayed messages.
      const failed = await this.core.subscribe(session, [{ channel, since }], undefined, isPrivate);
      if (failed.length > 0) {
        if (!session.subscriptions.has(channel)) transport.resuming.delete(channel);
        return;
      }
      if (transport.resuming.has(channel)) transport.write(subscriptionSucceeded(channel));
      if (position === undefined) this.cache.subscribed(session, transport, channel, since);
      this.counts.subscribed(session, transport, channel);
    } catch (e) {
      const err = e instanceof HeraldError ? e : new HeraldError('internal_error');
      transport.write(subscriptionError(channel, err.message, err.code));
    }
  }

  private async unsubscribe(session: Session, transport: PusherTransport, channel: string): Promise<void> {
    transport.resuming.delete(channel);
    await this.core.unsubscribe(session, [channel]);
    if (channel.startsWith(PRESENCE_PREFIX)) this.presence.forget(session, transport, channel);
  }
}
