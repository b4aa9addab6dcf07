import { createHash } from 'node:crypto';

/** Bounds each shard of the events stream should no worker read it for a long time (Redis runs with noeviction). */
export const EVENTS_MAXLEN = 1_000_000;

/** The events an app's webhooks can subscribe to. */
export const EVENT_TYPES = ['message.published', 'channel.occupied', 'channel.vacated', 'member.joined', 'member.left', 'client.event', 'cache.miss'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(v: unknown): v is EventType {
  return typeof v === 'string' && (EVENT_TYPES as readonly string[]).includes(v);
}

/** One event, as webhooks carry it. `id` is stable: a re-read entry or a replay keeps it (receivers de-duplicate by it). */
export interface ChannelEvent {
  id: string;
  type: EventType;
  appId: string;
  channel: string;
  time: number;
  /**
   * member.*: { id, data, reason }; message.published: { id, offset, epoch, content };
   * client.event: { channel, event, data, socket_id, user_id? } (a Pusher client event); cache.miss: { channel }.
   */
  data?: unknown;
}

export function eventId(...parts: Array<string | number>): string {
  return `evt_${createHash('sha256').update(parts.join('|')).digest('base64url').slice(0, 24)}`;
}

/**
 * An entry of the events stream (written by the presence and occupancy scripts): k = appId|channel,
 * e = type, t = time (ms), d = JSON data. Unknown or malformed entries give undefined.
 */
export function parseEventEntry(entryId: string, fields: string[]): ChannelEvent | undefined {
  const f: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  const k = f.k ?? '';
  const bar = k.indexOf('|');
  if (bar <= 0 || !isEventType(f.e)) return undefined;
  let data: unknown;
  if (f.d !== undefined) {
    try {
      data = JSON.parse(f.d);
    } catch {
      return undefined;
    }
  }
  const appId = k.slice(0, bar);
  const channel = k.slice(bar + 1);
  return { id: eventId(entryId, k, f.e), type: f.e, appId, channel, time: Number(f.t), data };
}
