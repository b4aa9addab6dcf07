/**
 * herald-pusher: Herald's replay for an unmodified pusher-js (7 or 8). Herald's gateway puts each
 * channel event's position in a `herald: {offset, epoch}` field that pusher-js's decoder drops; the
 * plugin reads it from the socket's raw messages, keeps the last one per channel, and adds it to every
 * `pusher:subscribe` as `herald_position`. After a reconnect the server replays what the channel missed
 * before `subscription_succeeded` — no gap, no duplicate — or sends `herald:reset` when it cannot.
 *
 * Hooks, all on the instance (nothing global, nothing patched in pusher-js): `pusher.send_event` (every
 * subscribe goes through it) and the connection's transport `message` event, rebound on each connect.
 */

declare const __HERALD_PUSHER_VERSION__: string;

/** The plugin's version (libs/pusher-plugin/package.json at build time). */
export const version: string = typeof __HERALD_PUSHER_VERSION__ === 'string' ? __HERALD_PUSHER_VERSION__ : 'dev';

/** The event Herald sends on a channel whose position could not be resumed. */
export const RESET_EVENT = 'herald:reset';

/** Where a channel stands: the last message's offset within the channel's epoch. */
export interface HeraldPosition {
  offset: number;
  epoch: string;
}

/**
 * A channel that could not be resumed: the epoch changed (history lost), the window passed (more missed
 * than the app keeps), the position was ahead of the channel, or continuity was lost while live. The
 * channel continues live after `epoch`/`offset`; read history if the missed messages matter.
 */
export interface HeraldReset extends HeraldPosition {
  recovered: false;
  reason: 'epoch_changed' | 'window_passed' | 'offset_ahead' | 'continuity_lost' | (string & {});
}

export interface HeraldReplayOptions {
  /** Called when a channel could not be resumed (the channel also emits `herald:reset` to its binders). */
  onReset?: (channel: string, reset: HeraldReset) => void;
}

export interface HeraldReplay {
  /** The last position seen on a channel, if any. */
  position(channel: string): HeraldPosition | undefined;
  /** Stops: later subscribes are plain Pusher ones. */
  detach(): void;
}

type Listener = (payload: { data?: unknown }) => void;
interface Dispatcher {
  bind(event: string, callback: Listener): unknown;
  unbind(event: string, callback: Listener): unknown;
}

/** The parts of a pusher-js instance the plugin uses (stable across pusher-js 7 and 8). */
export interface PusherLike {
  send_event(event: string, data: unknown, channel?: string): boolean;
  connection: Dispatcher & { connection?: { transport?: Dispatcher | null } | null };
}

/** Adds Herald's replay to a pusher-js instance; call it right after `new Pusher(…)`. */
export function withHeraldReplay(pusher: PusherLike, options: HeraldReplayOptions = {}): HeraldReplay {
  const positions = new Map<string, HeraldPosition>();
  let transport: Dispatcher | undefined;

  const onRaw: Listener = (message) => {
    const frame = parseObject(message.data);
    if (!frame || typeof frame.channel !== 'string') return;
    const at = positionOf(frame.herald);
    if (at) {
      positions.set(frame.channel, at);
    } else if (frame.event === RESET_EVENT) {
      const reset = parseObject(frame.data) as Partial<HeraldReset> | undefined;
      const to = positionOf(reset);
      if (!reset || !to) return;
      positions.set(frame.channel, to);
      options.onReset?.(frame.channel, { ...reset, ...to, recovered: false, reason: String(reset.reason) });
    }
  };
  // The transport changes on every (re)connect; pusher-js's own listener was bound first, so the
  // application sees an event before its position is recorded, both in the same turn.
  const attach = () => {
    transport?.unbind('message', onRaw);
    transport = pusher.connection.connection?.transport ?? undefined;
    transport?.bind('message', onRaw);
  };

  const send = pusher.send_event;
  pusher.send_event = function (this: PusherLike, event, data, channel) {
    const fields = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined;
    const name = typeof fields?.channel === 'string' ? fields.channel : undefined;
    if (name !== undefined && event === 'pusher:subscribe') data = { ...fields, herald_position: positions.get(name) ?? null };
    if (name !== undefined && event === 'pusher:unsubscribe') positions.delete(name);
    return send.call(this, event, data, channel);
  };
  pusher.connection.bind('connected', attach);
  attach();

  return {
    position: (channel) => positions.get(channel),
    detach() {
      pusher.send_event = send;
      pusher.connection.unbind('connected', attach);
      transport?.unbind('message', onRaw);
      transport = undefined;
    },
  };
}

function parseObject(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function positionOf(value: unknown): HeraldPosition | undefined {
  const p = value as Partial<HeraldPosition> | undefined;
  if (!p || typeof p.offset !== 'number' || typeof p.epoch !== 'string') return undefined;
  return { offset: p.offset, epoch: p.epoch };
}
