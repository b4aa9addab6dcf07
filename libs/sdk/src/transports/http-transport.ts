import { HeraldError, protocolError } from '../errors.js';
import { encodeCursor } from '../cursor.js';
import { withQuery, type Query } from '../url.js';
import type { FetchLike, HereNowContent, HistoryContent, PublishResult, TransportName } from '../types.js';
import type { Reason } from '../../../protocol/src/errors.js';
import type { Position, ServerFrame, SubscribeRequest } from '../wire.js';
import { fetchJson, probe, requireFetch, type Verdict } from './http.js';
import { userQuery, type CloseInfo, type PublishCall, type ReadCall, type Transport, type TransportContext, type TransportHandlers } from './transport.js';

/**
 * What SSE and long-polling share: the channel set of the stream (fixed per request, so a change
 * reopens it with a cursor built from the client's positions), and calls over plain HTTP
 * (`POST /publish`, `GET /history`, `GET /herenow`).
 */
export abstract class HttpTransport implements Transport {
  abstract readonly name: TransportName;
  protected readonly set = new Map<string, SubscribeRequest>();
  /** Channels the gateway confirmed on this transport (a `subscribed` seen, or a poll answered). */
  protected readonly confirmed = new Set<string>();
  protected handlers?: TransportHandlers;
  protected opened = false;
  protected done = false;
  protected readonly fetch: FetchLike;
  private restartQueued = false;
  private connectTimer?: unknown;

  constructor(protected readonly ctx: TransportContext) {
    this.fetch = requireFetch(ctx.fetch);
  }

  /** Opens with the client's current subscriptions and presence watches already in the set. */
  open(handlers: TransportHandlers, initial: SubscribeRequest[] = []): void {
    this.handlers = handlers;
    this.connectTimer = this.ctx.timers.setTimeout(() => {
      if (!this.opened) this.finish({ code: 1006, reason: 'connect timeout' });
    }, this.ctx.connectTimeout);
    for (const item of initial) this.set.set(item.channel, item);
    this.start();
  }

  close(): void {
    this.done = true;
    this.ctx.timers.clearTimeout(this.connectTimer);
    this.stop();
  }

  /** Starts the stream (or poll loop) for the current set. */
  protected abstract start(): void;
  /** Aborts the current stream or request. */
  protected abstract stop(): void;

  /** Coalesces set changes made in one turn (three subscribe() calls reopen once). */
  protected restart(): void {
    if (this.restartQueued || this.done) return;
    this.restartQueued = true;
    void Promise.resolve().then(() => {
      this.restartQueued = false;
      if (this.done) return;
      this.stop();
      this.start();
    });
  }

  protected base(path: string): string {
    return `${this.ctx.endpoints.http}/${path}`;
  }

  /** appkey, user, every channel, presence flags, tokens, and the cursor of the client's positions. */
  protected query(extra: Query = []): Query {
    const items = [...this.set.values()];
    const q: Query = [['appkey', this.ctx.appkey], ...userQuery(this.ctx.user)];
    for (const i of items) q.push(['channel', i.channel]);
    if (items.some((i) => i.presence)) q.push(['presence', true]);
    if (items.some((i) => i.presenceEvents)) q.push(['presence_events', true]);
    for (const token of new Set(items.map((i) => i.accessToken).filter(Boolean))) q.push(['token', token]);
    const positions: Array<[string, Position]> = [];
    for (const i of items) {
      const p = this.ctx.position(i.channel);
      if (p) positions.push([i.channel, p]);
    }
    if (positions.length) q.push([this.cursorParam, encodeCursor(positions)]);
    return [...q, ...extra];
  }

  protected abstract readonly cursorParam: string;

  /** The transport works: tell the client once, with a `connected` frame as WebSocket would. */
  protected connected(connectionId: string): void {
    if (this.opened || this.done) return;
    this.opened = true;
    this.ctx.timers.clearTimeout(this.connectTimer);
    this.handlers?.onOpen();
    this.handlers?.onFrame({ type: 'connected', connectionId, pingInterval: 0, pongTimeout: 0 });
  }

  protected emit(frame: ServerFrame): void {
    if (this.done) return;
    if (frame.type === 'subscribed') this.confirmed.add(frame.channel);
    if (frame.type === 'error' && frame.channel !== undefined) {
      this.set.delete(frame.channel);
      this.confirmed.delete(frame.channel);
    }
    this.handlers?.onFrame(frame);
  }

  protected finish(info: Omit<CloseInfo, 'opened'>): void {
    if (this.done) return;
    this.done = true;
    this.ctx.timers.clearTimeout(this.connectTimer);
    this.stop();
    this.handlers?.onClose({ ...info, opened: this.opened });
  }

  /** A refused request: the whole connection, the transport, or the channels that were new in it. */
  protected refused(v: Exclude<Verdict, { kind: 'ok' }>): void {
    const { error } = v;
    if (v.kind === 'request') {
      const fresh = [...this.set.keys()].filter((c) => !this.confirmed.has(c));
      if (fresh.length) {
        // The gateway's answer (or errorOf's fallback from the status): a protocol reason either way.
        const reason = error.reason as Reason;
        for (const channel of fresh) this.emit({ type: 'error', channel, code: error.code, content: error.content, reason });
        this.restart();
        return;
      }
    }
    this.finish({
      code: v.kind === 'terminal' ? 4000 + error.code : 1006,
      reason: `${error.reason}: ${error.content}`,
      terminal: v.kind === 'terminal' ? error : undefined,
      unavailable: v.kind === 'unavailable',
    });
  }

  /** With no channel, nothing can stream: ask the gateway whether key and transport are fine. */
  protected async idle(path: string): Promise<void> {
    const v = await probe(this.fetch, withQuery(this.base(path), [['appkey', this.ctx.appkey], ...userQuery(this.ctx.user)]));
    if (this.done || this.set.size) return;
    // "At least one channel is required" means everything else passed.
    if (v.kind === 'ok' || (v.kind === 'request' && v.error.reason === 'invalid_request')) this.connected(`${this.name}-idle`);
    else if (v.kind === 'network') this.finish({ code: 1006, reason: v.error.content });
    else this.refused(v);
  }

  subscribe(items: SubscribeRequest[]): void {
    let changed = false;
    for (const item of items) {
      const had = this.set.get(item.channel);
      const next = { ...item, presenceEvents: had?.presenceEvents ?? item.presenceEvents, messages: true };
      if (!had || !had.messages || had.presence !== next.presence || had.accessToken !== next.accessToken) changed = true;
      this.set.set(item.channel, next);
    }
    if (changed) this.restart();
  }

  async unsubscribe(channels: string[]): Promise<void> {
    for (const c of channels) {
      const had = this.set.get(c);
      if (!had) continue;
      if (had.presenceEvents) this.set.set(c, { ...had, messages: false, presence: false });
      else this.set.delete(c);
      this.confirmed.delete(c);
    }
    this.restart();
  }

  async watchPresence(channel: string, accessToken?: string): Promise<HereNowContent> {
    const had = this.set.get(channel);
    if (!had?.presenceEvents) {
      this.set.set(channel, had ? { ...had, presenceEvents: true } : { channel, presence: false, presenceEvents: true, messages: false });
      this.restart();
    }
    return this.hereNow({ channel, limit: 100, accessToken });
  }

  async unwatchPresence(channel: string): Promise<void> {
    const had = this.set.get(channel);
    if (!had?.presenceEvents) return;
    if (had.messages) this.set.set(channel, { ...had, presenceEvents: false });
    else this.set.delete(channel);
    this.restart();
  }

  publish(c: PublishCall): Promise<PublishResult> {
    const url = withQuery(this.base('publish'), [['appkey', this.ctx.appkey], ['token', c.accessToken]]);
    const body = JSON.stringify({ channel: c.channel, message: c.message, id: c.messageId, ...(c.accessToken ? { accessToken: c.accessToken } : {}) });
    return fetchJson<PublishResult>(this.fetch, url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }

  history(q: ReadCall & { since?: number }): Promise<HistoryContent> {
    return fetchJson(this.fetch, withQuery(this.base('history'), [['appkey', this.ctx.appkey], ['channel', q.channel], ['limit', q.limit], ['since', q.since], ['token', q.accessToken]]));
  }

  hereNow(q: ReadCall): Promise<HereNowContent> {
    return fetchJson(this.fetch, withQuery(this.base('herenow'), [['appkey', this.ctx.appkey], ['channel', q.channel], ['limit', q.limit], ['token', q.accessToken]]));
  }
}

export function unexpected(e: unknown): HeraldError {
  return e instanceof HeraldError ? e : protocolError(500, 'internal_error', String(e));
}
