import { HeraldError, type ErrorBody } from './errors.js';
import { assertChannel, assertMessageId } from './channel.js';

/** Hard limit on any inbound frame or request body, whatever the plan (DESIGN section 10). */
export const HARD_FRAME_LIMIT = 1024 * 1024;

export type RequestId = number | string;

/** A channel position: the last offset seen within an epoch. Offsets start at 1; 0 = nothing seen. */
export interface Position {
  offset: number;
  epoch: string;
}

export interface SubscribeItem {
  channel: string;
  /** Resume after this position; omitted = start live from now. */
  since?: Position;
  /** Join the channel's presence as a member (the connection must carry a user id). */
  presence?: boolean;
  /** For private channels: an HS256 token signed with the app secret (issue 5). */
  accessToken?: string;
}

export type ClientFrame =
  | { type: 'subscribe'; id?: RequestId; channels: SubscribeItem[] }
  | { type: 'unsubscribe'; id?: RequestId; channels: string[] }
  | { type: 'publish'; id?: RequestId; channel: string; message: unknown; messageId?: string; accessToken?: string }
  | { type: 'presence_subscribe'; id?: RequestId; channel: string; accessToken?: string }
  | { type: 'presence_unsubscribe'; id?: RequestId; channel: string }
  | { type: 'herenow'; id?: RequestId; channel: string; limit: number; accessToken?: string }
  | { type: 'history'; id?: RequestId; channel: string; limit: number; since?: number; accessToken?: string }
  | { type: 'ping'; id?: RequestId }
  | { type: 'pong' };

export interface PresenceMember {
  id: string;
  data: Record<string, unknown>;
}

/** A presence change (GoEasy's presence event), published once per change whichever gateway saw it. */
export interface PresenceFrame {
  type: 'presence';
  channel: string;
  action: 'join' | 'leave' | 'timeout';
  member: PresenceMember;
  /** When the change happened, ms. */
  time: number;
  /** Members (distinct user ids) after the change. */
  amount: number;
}

/** A message as delivered: the frame body the worker builds once and every transport forwards. */
export interface MessageFrame {
  type: 'message';
  channel: string;
  id: string;
  time: number;
  content: unknown;
  offset: number;
  epoch: string;
  /** A Pusher trigger's event name (docs/pusher.md); `content` is then its `data` string. */
  event?: string;
  /** A Pusher trigger's excluded `socket_id`: that Pusher socket does not get the message. */
  exclude?: string;
}

export interface SubscribedFrame {
  type: 'subscribed';
  id?: RequestId;
  channel: string;
  epoch: string;
  /** The channel's newest offset when the subscription went live (before replayed messages). */
  offset: number;
  /** false when the requested position could not be resumed (window passed or epoch changed). */
  recovered: boolean;
  /** How many missed messages follow this frame. */
  replayed: number;
}

export type ServerFrame =
  | { type: 'connected'; connectionId: string; pingInterval: number; pongTimeout: number }
  | SubscribedFrame
  | MessageFrame
  | { type: 'reply'; id?: RequestId; result: unknown }
  | ({ type: 'error'; id?: RequestId; channel?: string } & ErrorBody)
  | { type: 'ping' }
  | { type: 'pong'; id?: RequestId }
  | { type: 'reset'; channel: string; epoch: string; offset: number }
  | PresenceFrame
  | { type: 'disconnect'; code: number; reason: string; reconnect: boolean };

export const MAX_CHANNELS_PER_FRAME = 500;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requestId(v: unknown): RequestId | undefined {
  if (v === undefined) return undefined;
  if ((typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && v.length <= 64)) return v;
  throw new HeraldError('invalid_frame', 'Frame id must be an integer or a string of at most 64 characters');
}

export function parsePosition(offset: unknown, epoch: unknown): Position | undefined {
  if (offset === undefined && epoch === undefined) return undefined;
  const n = typeof offset === 'string' && /^\d{1,15}$/.test(offset) ? Number(offset) : offset;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new HeraldError('invalid_position', 'offset must be a non-negative integer');
  }
  if (typeof epoch !== 'string' || !/^[A-Za-z0-9]{1,32}$/.test(epoch)) {
    throw new HeraldError('invalid_position', 'epoch must be the string received with the channel');
  }
  return { offset: n, epoch };
}

function subscribeItem(raw: unknown): SubscribeItem {
  if (typeof raw === 'string') return { channel: assertChannel(raw) };
  if (!isObject(raw)) throw new HeraldError('invalid_frame', 'channels[] items are names or { channel, offset, epoch, presence }');
  const item: SubscribeItem = { channel: assertChannel(raw.channel) };
  const since = parsePosition(raw.offset, raw.epoch);
  if (since) item.since = since;
  // `presence: true`, or GoEasy's `presence: { enable: true }`
  if (raw.presence === true || (isObject(raw.presence) && raw.presence.enable === true)) item.presence = true;
  const token = accessToken(raw.accessToken);
  if (token) item.accessToken = token;
  return item;
}

function accessToken(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096) throw new HeraldError('invalid_frame', 'accessToken must be a string of at most 4096 characters');
  return v;
}

const READ_LIMIT_MAX = 1000;

/** `limit` of hereNow and history reads: 1–1000, 100 when absent. */
export function readLimit(v: unknown): number {
  if (v === undefined || v === null || v === '') return 100;
  const n = typeof v === 'string' && /^\d{1,4}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > READ_LIMIT_MAX) {
    throw new HeraldError('invalid_request', `limit must be an integer from 1 to ${READ_LIMIT_MAX}`);
  }
  return n;
}

/** `since` of history reads: an offset, or absent for the newest messages. */
export function readSince(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new HeraldError('invalid_position', 'since must be a non-negative offset');
  return n;
}

function channelList<T>(frame: Record<string, unknown>, map: (v: unknown) => T): T[] {
  const list = frame.channels ?? (frame.channel !== undefined ? [frame] : undefined);
  if (!Array.isArray(list) || list.length === 0) {
    throw new HeraldError('invalid_frame', 'channel or channels[] is required');
  }
  if (list.length > MAX_CHANNELS_PER_FRAME) {
    throw new HeraldError('too_many_channels', `At most ${MAX_CHANNELS_PER_FRAME} channels per frame`);
  }
  return list.map(map);
}

/** A refused frame, carrying the frame's request id when it had a valid one, so the error answers it. */
export class FrameError extends HeraldError {
  constructor(
    cause: HeraldError,
    readonly requestId: RequestId | undefined,
  ) {
    super(cause.reason, cause.message);
  }
}

/** Parses one client frame. Throws only HeraldError; never returns a partially checked frame. */
export function decodeClientFrame(text: string): ClientFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HeraldError('invalid_json', 'Frame is not valid JSON');
  }
  if (!isObject(raw) || typeof raw.type !== 'string') {
    throw new HeraldError('invalid_frame', 'A frame is a JSON object with a "type"');
  }
  const id = requestId(raw.id);
  try {
    return decodeTyped(raw, raw.type, id);
  } catch (e) {
    throw e instanceof HeraldError ? new FrameError(e, id) : e;
  }
}

function decodeTyped(raw: Record<string, unknown>, type: string, id: RequestId | undefined): ClientFrame {
  switch (type) {
    case 'subscribe':
      return { type: 'subscribe', id, channels: channelList(raw, subscribeItem) };
    case 'unsubscribe':
      return {
        type: 'unsubscribe',
        id,
        channels: channelList(raw, (v) => assertChannel(isObject(v) ? v.channel : v)),
      };
    case 'publish': {
      const channel = assertChannel(raw.channel);
      if (raw.message === undefined) throw new HeraldError('invalid_message');
      const messageId = raw.messageId === undefined ? undefined : assertMessageId(raw.messageId);
      return { type: 'publish', id, channel, message: raw.message, messageId, accessToken: accessToken(raw.accessToken) };
    }
    case 'presence_subscribe':
      return { type, id, channel: assertChannel(raw.channel), accessToken: accessToken(raw.accessToken) };
    case 'presence_unsubscribe':
      return { type, id, channel: assertChannel(raw.channel) };
    case 'herenow':
      return { type: 'herenow', id, channel: assertChannel(raw.channel), limit: readLimit(raw.limit), accessToken: accessToken(raw.accessToken) };
    case 'history':
      return { type: 'history', id, channel: assertChannel(raw.channel), limit: readLimit(raw.limit), since: readSince(raw.since), accessToken: accessToken(raw.accessToken) };
    case 'ping':
      return { type: 'ping', id };
    case 'pong':
      return { type: 'pong' };
    default:
      throw new HeraldError('invalid_frame', `Unknown frame type ${JSON.stringify(type.slice(0, 32))}`);
  }
}

export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}
