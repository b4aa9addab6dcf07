/**
 * Public types of the Herald SDK. Wire frames (what the gateway sends) live in wire.ts; these are what
 * an application sees. Shapes follow GoEasy's JS SDK so GoEasy code moves over with a changed import.
 */

/** `getConnectionStatus()` values (DESIGN section 7; GoEasy's status strings). */
export type ConnectionStatus =
  | 'disconnected'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'reconnected'
  | 'disconnecting'
  | 'connect_failed';

export type TransportName = 'websocket' | 'sse' | 'polling';

/** Every error the SDK reports: GoEasy's `{code, content}` plus Herald's stable `reason`. */
export interface ErrorShape {
  code: number;
  content: string;
  reason: string;
}

/** WebSocket/EventSource constructors and fetch, injectable (Node, tests, polyfills). */
/** An event handler property that accepts the platform's richer event types (`ws`, DOM, polyfills). */
export type Handler<E> = { bivarianceHack(ev: E): void }['bivarianceHack'];
export type WebSocketCtor = new (url: string) => WebSocketLike;
export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type EventSourceCtor = new (url: string) => EventSourceLike;
export interface EventSourceLike {
  onopen: Handler<unknown> | null;
  onerror: Handler<unknown> | null;
  onmessage: Handler<{ data: string; lastEventId?: string }> | null;
  addEventListener(type: string, listener: (ev: { data: string; lastEventId?: string }) => void): void;
  close(): void;
}
export type FetchLike = typeof fetch;

/** Timers, injectable so tests drive time (fake clock). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface HeraldOptions {
  /** `host:port` (with `forceTLS` for wss/https) or a full URL such as `https://rt.example.com`. */
  host: string;
  /** Common key (`BC-…`) to subscribe and publish, or subscribe key (`BS-…`). */
  appkey: string;
  forceTLS?: boolean;
  /** The REST API's URL (`https://api.example.com`, or `host:port`), for `herald.push` only. */
  api?: string;
  /** GoEasy compatibility; Herald has one module. Ignored. */
  modules?: string[];
  /** Transport order; later ones are tried only when an earlier one never opened. */
  transports?: TransportName[];
  /** Reconnect backoff (full jitter): first ceiling, cap. Defaults 500 ms, 20 s. */
  minReconnectDelay?: number;
  maxReconnectDelay?: number;
  /** How long a publish/history/hereNow may wait for its answer, queue time included. Default 15 s. */
  requestTimeout?: number;
  /** Calls made while not connected that may wait for the connection. Default 100; beyond: rejected. */
  maxQueued?: number;
  /** Message ids remembered to drop duplicates. Default 1000. */
  dedupSize?: number;
  /** How long one connection attempt may take (until the gateway's `connected`). Default 10 s. */
  connectTimeout?: number;
  /** Long-poll hold the client waits for before it gives up on a request. Default 40 s. */
  pollTimeout?: number;
  WebSocket?: WebSocketCtor;
  EventSource?: EventSourceCtor;
  fetch?: FetchLike;
  timers?: Timers;
  /** Random source in [0, 1) for backoff jitter and message ids. */
  random?: () => number;
}

export interface Callbacks<T> {
  onSuccess?: (result: T) => void;
  onFailed?: (error: ErrorShape) => void;
}

export interface ConnectOptions extends Callbacks<void> {
  /** User id for presence (≤ 60 characters). */
  id?: string;
  /** User data for presence (a JSON object). */
  data?: Record<string, unknown>;
  /** Called before every connection attempt with the attempt number (1, 2, …). */
  onProgress?: (attempts: number) => void;
}

/** A delivered message (GoEasy's `{time, channel, content}` plus id, offset, epoch). */
export interface HeraldMessage<T = unknown> {
  time: number;
  channel: string;
  content: T;
  id: string;
  offset: number;
  epoch: string;
}

export interface SubscribeOptions<T = unknown> extends Callbacks<void> {
  channel?: string;
  channels?: string[];
  /** Join the channels' presence as a member (needs `connect({ id })`). GoEasy: `{ enable: true }`. */
  presence?: boolean | { enable: boolean };
  accessToken?: string;
  /**
   * Called before `accessToken` expires (and when none was given) with the channel; answer a fresh
   * token, e.g. from your server's `POST /v1/tokens`. Reconnects then resubscribe with it.
   */
  refreshAccessToken?: (channel: string) => string | Promise<string>;
  onMessage: (message: HeraldMessage<T>) => void;
}

export interface UnsubscribeOptions extends Callbacks<void> {
  channel?: string;
  channels?: string[];
}

export interface PublishResult {
  id: string;
  channel: string;
  offset: number;
  epoch: string;
  duplicate: boolean;
}

export interface PublishOptions extends Callbacks<PublishResult> {
  channel: string;
  message: unknown;
  /** Idempotency key; generated when absent, so a publish retried after a reconnect is stored once. */
  messageId?: string;
  accessToken?: string;
}

export interface HistoryMessage {
  channel: string;
  id: string;
  time: number;
  content: unknown;
  offset: number;
  epoch: string;
}

/** GoEasy's result shape: `{ code: 200, content }`. */
export interface Result<T> {
  code: 200;
  content: T;
}

export interface HistoryContent {
  channel: string;
  epoch: string;
  offset: number;
  messages: HistoryMessage[];
}
export interface HistoryOptions extends Callbacks<Result<HistoryContent>> {
  channel: string;
  accessToken?: string;
  limit?: number;
  /** Messages after this offset (oldest first); absent: the newest `limit` messages. */
  since?: number;
}

export interface PresenceMember {
  id: string;
  data: Record<string, unknown>;
}
export interface HereNowContent {
  channel: string;
  amount: number;
  members: PresenceMember[];
}
export interface HereNowOptions extends Callbacks<Result<HereNowContent>> {
  channel: string;
  accessToken?: string;
  limit?: number;
}

export interface PresenceEvent {
  channel: string;
  action: 'join' | 'leave' | 'timeout';
  member: PresenceMember;
  time: number;
  amount: number;
  /** Members known after the event (from the snapshot plus events), at most `membersLimit`. */
  members: PresenceMember[];
}
export interface SubscribePresenceOptions extends Callbacks<Result<HereNowContent>> {
  channel: string;
  accessToken?: string;
  membersLimit?: number;
  onPresence: (event: PresenceEvent) => void;
}
export interface UnsubscribePresenceOptions extends Callbacks<void> {
  channel: string;
}

/** A channel whose continuity was lost: messages between `offset` and the app's last one are missing. */
export interface RecoveredEvent {
  channel: string;
  recovered: false;
  epoch: string;
  offset: number;
  /** `subscribe`: a resume position was refused; `reset`: a live subscription lost continuity. */
  cause: 'subscribe' | 'reset';
}

/** Typed events: `client.on('status', (status, previous) => …)`. */
export interface HeraldEvents {
  status: (status: ConnectionStatus, previous: ConnectionStatus) => void;
  connected: (info: { connectionId: string; transport: TransportName; reconnect: boolean }) => void;
  disconnected: (info: { code: number; reason: string; willReconnect: boolean }) => void;
  message: (message: HeraldMessage) => void;
  recovered: (event: RecoveredEvent) => void;
  subscribed: (info: { channel: string; epoch: string; offset: number; recovered: boolean; replayed: number }) => void;
  unsubscribed: (info: { channel: string; error?: ErrorShape }) => void;
  presence: (event: PresenceEvent) => void;
  error: (error: ErrorShape) => void;
}
export type HeraldEventName = keyof HeraldEvents;
