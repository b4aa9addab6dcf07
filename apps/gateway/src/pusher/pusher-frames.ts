import { PRESENCE_PREFIX, type Position, type PresenceFrame } from '@herald/protocol';
import { toPusherChannel } from '@herald/auth';
import { OutboundFrame } from '../session/outbound-frame.js';
import { pusherCodeFor } from './pusher-codes.js';

/** A server→client Pusher frame: `data` is a JSON string, as pusher-js and every Pusher server send it. */
export interface PusherEvent {
  event: string;
  channel?: string;
  data: string;
  /** Herald's replay extension: the message's position, sent back by herald-pusher on resubscribe. */
  herald?: Position;
  /** A client event's sender on a presence channel. */
  user_id?: string;
}

/** The event that tells a herald-pusher client its channel could not be resumed (docs/pusher.md). */
export const HERALD_RESET = 'herald:reset';

/** A delivery as a Pusher client sees it, encoded once per message for every Pusher socket of this gateway. */
interface PusherDelivery {
  text: string;
  /** The same text as a frame whose WebSocket bytes are built once, on first write (ws-writer.ts). */
  frame: OutboundFrame;
  /** The `socket_id` a trigger excluded, if any. */
  exclude?: string;
}

const deliveries = new WeakMap<OutboundFrame, PusherDelivery>();

/** A presence change as Pusher sends it, encoded once per change for every Pusher socket of this gateway. */
interface PusherMemberEvent {
  channel: string;
  userId: string;
  text: string;
}

const memberEvents = new WeakMap<OutboundFrame, PusherMemberEvent>();

/** Herald's presence change → `pusher_internal:member_added` (a join) or `member_removed` (a leave or a timeout). */
function memberEvent(frame: OutboundFrame): PusherMemberEvent {
  let e = memberEvents.get(frame);
  if (e) return e;
  const p = JSON.parse(frame.text()) as PresenceFrame;
  const added = p.action === 'join';
  const data = added ? { user_id: p.member.id, user_info: p.member.data } : { user_id: p.member.id };
  e = { channel: p.channel, userId: p.member.id, text: encodePusher({ event: added ? 'pusher_internal:member_added' : 'pusher_internal:member_removed', channel: p.channel, data: JSON.stringify(data) }) };
  memberEvents.set(frame, e);
  return e;
}

export function encodePusher(e: PusherEvent): string {
  return JSON.stringify(e);
}

/**
 * How a channel message looks to pusher-js (docs/pusher.md): a Pusher trigger keeps its event name and
 * its data string; a client event its name, its data as JSON text and (presence) the sender's `user_id`;
 * a Herald publish is event `message` with its content as JSON text. Every one carries its position in
 * `herald` (pusher-js ignores the field; the herald-pusher plugin reads it).
 */
function delivery(frame: OutboundFrame): PusherDelivery {
  let d = deliveries.get(frame);
  if (d) return d;
  const m = JSON.parse(frame.text()) as { channel: string; content: unknown; offset: number; epoch: string; event?: unknown; exclude?: unknown; user_id?: unknown };
  const pusherEvent = typeof m.event === 'string' ? m.event : undefined;
  const data = pusherEvent !== undefined && typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
  const userId = typeof m.user_id === 'string' ? m.user_id : undefined;
  const herald = { offset: m.offset, epoch: m.epoch };
  const text = encodePusher({ event: pusherEvent ?? 'message', channel: toPusherChannel(m.channel), data, herald, user_id: userId });
  d = { text, frame: OutboundFrame.fromText('message', text), exclude: typeof m.exclude === 'string' ? m.exclude : undefined };
  deliveries.set(frame, d);
  return d;
}

/**
 * A channel message as this Pusher socket gets it: one prepared frame per message for every Pusher socket
 * (the WebSocket framing is done once, as for Herald's own `/ws`), or nothing for the socket a trigger excluded.
 */
export function pusherMessage(frame: OutboundFrame, socket: Pick<PusherSocketInfo, 'socketId'>): OutboundFrame | undefined {
  const d = delivery(frame);
  return d.exclude === socket.socketId ? undefined : d.frame;
}

/** What a Pusher socket needs to know to translate a frame of the session core. */
export interface PusherSocketInfo {
  socketId: string;
  /** Seconds of silence after which pusher-js pings (Pusher's `activity_timeout`). */
  activityTimeout: number;
  /**
   * Channels subscribed by herald-pusher (`herald_position` in `pusher:subscribe`), with the position
   * asked for (null: none yet). Only these get `herald:reset`; other clients see Pusher's frames only.
   */
  readonly resuming: ReadonlyMap<string, Position | null>;
  /** The user id this socket is on each of its presence channels (from the signed `channel_data`). */
  presenceUsers: ReadonlyMap<string, string>;
}

/**
 * Translates one frame of the session core into the Pusher frame its client expects, or undefined when
 * Pusher has no such frame (replies, presence events of Herald's protocol). `subscribed` is not
 * translated: the connection sends `subscription_succeeded` once the replay is written (Herald's core
 * sends `subscribed` before it); a resume that failed becomes `herald:reset` there.
 */
export function toPusher(frame: OutboundFrame, socket: PusherSocketInfo): string | undefined {
  switch (frame.type) {
    case 'message': {
      const d = delivery(frame);
      return d.exclude === socket.socketId ? undefined : d.text;
    }
    case 'connected':
      return encodePusher({ event: 'pusher:connection_established', data: JSON.stringify({ socket_id: socket.socketId, activity_timeout: socket.activityTimeout }) });
    case 'subscribed': {
      const f = JSON.parse(frame.text()) as { channel: string; epoch: string; offset: number };
      if (!socket.resuming.has(f.channel)) {
        // A presence channel's subscription_succeeded carries its members: pusher-presence.ts sends it.
        return f.channel.startsWith(PRESENCE_PREFIX) ? undefined : subscriptionSucceeded(f.channel);
      }
      // herald-pusher's channel: subscription_succeeded comes after the replay (pusher-connections.ts).
      return frame.recovered ? undefined : heraldReset(f.channel, resetReason(socket.resuming.get(f.channel), f), f);
    }
    case 'reset': {
      const f = JSON.parse(frame.text()) as { channel: string; epoch: string; offset: number };
      return socket.resuming.has(f.channel) ? heraldReset(f.channel, 'continuity_lost', f) : undefined;
    }
    case 'presence': {
      // Never to the socket whose user the change is about (Pusher's rule: not to the causing socket).
      const e = memberEvent(frame);
      const own = socket.presenceUsers.get(e.channel);
      return own === undefined || own === e.userId ? undefined : e.text;
    }
    case 'error': {
      const f = JSON.parse(frame.text()) as { channel?: string; code: number; reason: string; content: string };
      if (f.channel !== undefined) return subscriptionError(toPusherChannel(f.channel), f.content, f.code);
      return pusherError(f.content, f.code >= 500 ? null : pusherCodeFor(f.reason));
    }
    case 'ping':
      return PING;
    default:
      return undefined;
  }
}

/** Why a requested position could not be resumed (docs/protocol.md: `recovered: false`). */
function resetReason(asked: Position | null | undefined, now: Position): string {
  if (!asked || asked.epoch !== now.epoch) return 'epoch_changed';
  return asked.offset > now.offset ? 'offset_ahead' : 'window_passed';
}

/** `data`: `{recovered: false, reason, epoch, offset}` — the subscription continues live after that position. */
function heraldReset(channel: string, reason: string, at: Position): string {
  return encodePusher({ event: HERALD_RESET, channel, data: JSON.stringify({ recovered: false, reason, epoch: at.epoch, offset: at.offset }) });
}

export function subscriptionSucceeded(channel: string): string {
  return encodePusher({ event: 'pusher_internal:subscription_succeeded', channel: toPusherChannel(channel), data: '{}' });
}

export function subscriptionError(channel: string, error: string, status: number): string {
  const type = status === 401 || status === 403 ? 'AuthError' : 'SubscriptionError';
  return encodePusher({ event: 'pusher:subscription_error', channel, data: JSON.stringify({ type, error, status }) });
}

export function pusherError(message: string, code: number | null): string {
  return encodePusher({ event: 'pusher:error', data: JSON.stringify({ message, code }) });
}

const PING = encodePusher({ event: 'pusher:ping', data: '{}' });
export const PONG = encodePusher({ event: 'pusher:pong', data: '{}' });
