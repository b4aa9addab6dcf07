import { toPusherChannel } from '@herald/auth';
import type { OutboundFrame } from '../session/outbound-frame.js';
import { pusherCodeFor } from './pusher-codes.js';

/** A server→client Pusher frame: `data` is a JSON string, as pusher-js and every Pusher server send it. */
export interface PusherEvent {
  event: string;
  channel?: string;
  data: string;
}

/** A delivery as a Pusher client sees it, encoded once per message for every Pusher socket of this gateway. */
interface PusherDelivery {
  text: string;
  /** The `socket_id` a trigger excluded, if any. */
  exclude?: string;
}

const deliveries = new WeakMap<OutboundFrame, PusherDelivery>();

export function encodePusher(e: PusherEvent): string {
  return JSON.stringify(e);
}

/**
 * How a channel message looks to pusher-js (docs/pusher.md): a Pusher trigger keeps its event name and
 * its data string; a Herald publish is event `message` with its content as JSON text.
 */
function delivery(frame: OutboundFrame): PusherDelivery {
  let d = deliveries.get(frame);
  if (d) return d;
  const m = JSON.parse(frame.text()) as { channel: string; content: unknown; event?: unknown; exclude?: unknown };
  const pusherEvent = typeof m.event === 'string' ? m.event : undefined;
  const data = pusherEvent !== undefined && typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
  d = { text: encodePusher({ event: pusherEvent ?? 'message', channel: toPusherChannel(m.channel), data }), exclude: typeof m.exclude === 'string' ? m.exclude : undefined };
  deliveries.set(frame, d);
  return d;
}

/** What a Pusher socket needs to know to translate a frame of the session core. */
export interface PusherSocketInfo {
  socketId: string;
  /** Seconds of silence after which pusher-js pings (Pusher's `activity_timeout`). */
  activityTimeout: number;
}

/**
 * Translates one frame of the session core into the Pusher frame its client expects, or undefined when
 * Pusher has no such frame (replies, presence events of Herald's protocol, resets).
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
      const f = JSON.parse(frame.text()) as { channel: string };
      return encodePusher({ event: 'pusher_internal:subscription_succeeded', channel: toPusherChannel(f.channel), data: '{}' });
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

export function subscriptionError(channel: string, error: string, status: number): string {
  const type = status === 401 || status === 403 ? 'AuthError' : 'SubscriptionError';
  return encodePusher({ event: 'pusher:subscription_error', channel, data: JSON.stringify({ type, error, status }) });
}

export function pusherError(message: string, code: number | null): string {
  return encodePusher({ event: 'pusher:error', data: JSON.stringify({ message, code }) });
}

const PING = encodePusher({ event: 'pusher:ping', data: '{}' });
export const PONG = encodePusher({ event: 'pusher:pong', data: '{}' });
