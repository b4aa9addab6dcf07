import type { HeraldError } from '../errors.js';
import type { Endpoints } from '../url.js';
import type { EventSourceCtor, FetchLike, HereNowContent, HistoryContent, PresenceMember, PublishResult, Timers, TransportName, WebSocketCtor } from '../types.js';
import type { Position, ServerFrame, SubscribeRequest } from '../wire.js';

/**
 * One interface for every transport (Centrifugo's transport list): the client core opens one, feeds it
 * the subscriptions, and reads normalized frames back. WebSocket speaks frames both ways; SSE and
 * long-polling hold a fixed channel set per stream/request (reopened with a cursor when it changes)
 * and send calls over plain HTTP.
 */
export interface TransportHandlers {
  /** The transport works (socket or stream open, first poll answered): no fallback from here on. */
  onOpen(): void;
  onFrame(frame: ServerFrame): void;
  onClose(info: CloseInfo): void;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Whether onOpen was ever called: a transport that never opened is skipped for the next one. */
  opened: boolean;
  /** A refusal no retry can fix (bad key, origin): the client stops with connect_failed. */
  terminal?: HeraldError;
  /** The gateway has this transport switched off: fall back at once, whatever `opened` says. */
  unavailable?: boolean;
}

export interface TransportContext {
  endpoints: Endpoints;
  appkey: string;
  user?: PresenceMember;
  /** The client's last positions (resume points for a new stream or poll). */
  position(channel: string): Position | undefined;
  WebSocket?: WebSocketCtor;
  EventSource?: EventSourceCtor;
  fetch?: FetchLike;
  timers: Timers;
  pollTimeout: number;
  /** How long a transport may take to deliver its `connected` frame before it counts as failed. */
  connectTimeout: number;
}

export interface PublishCall {
  channel: string;
  message: unknown;
  messageId: string;
  accessToken?: string;
}

export interface ReadCall {
  channel: string;
  limit?: number;
  accessToken?: string;
}

export interface Transport {
  readonly name: TransportName;
  /** `initial`: the subscriptions and presence watches to open with (stream transports use it). */
  open(handlers: TransportHandlers, initial?: SubscribeRequest[]): void;
  /** Closes without calling onClose (the client already moved on). */
  close(): void;
  subscribe(items: SubscribeRequest[]): void;
  unsubscribe(channels: string[]): Promise<void>;
  watchPresence(channel: string, accessToken?: string): Promise<HereNowContent>;
  unwatchPresence(channel: string): Promise<void>;
  publish(call: PublishCall): Promise<PublishResult>;
  history(q: ReadCall & { since?: number }): Promise<HistoryContent>;
  hereNow(q: ReadCall): Promise<HereNowContent>;
}

/** The user's identity on every transport's URL: `id` and `data` (JSON), GoEasy's connect({id, data}). */
export function userQuery(user: PresenceMember | undefined): Array<[string, string | undefined]> {
  return user ? [['id', user.id], ['data', JSON.stringify(user.data ?? {})]] : [];
}
