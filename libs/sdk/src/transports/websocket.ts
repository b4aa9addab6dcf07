import { ConnectionLost, HeraldError, fromClose } from '../errors.js';
import { withQuery } from '../url.js';
import type { HereNowContent, HistoryContent, PublishResult, WebSocketLike } from '../types.js';
import { CLOSE_CODES, isServerFrame, isTerminalClose, type ServerFrame, type SubscribeRequest } from '../wire.js';
import { userQuery, type PublishCall, type ReadCall, type Transport, type TransportContext, type TransportHandlers } from './transport.js';


interface Pending {
  resolve(result: unknown): void;
  reject(error: HeraldError): void;
}

/**
 * Full-duplex JSON frames over `/ws`. Liveness: any inbound frame proves the server alive; silence
 * longer than pingInterval + pongTimeout (both from the `connected` frame) closes the socket, and the
 * client reconnects. Refused connections are upgraded then closed with 44xx "<reason>: <text>".
 */
export class WebSocketTransport implements Transport {
  readonly name = 'websocket' as const;
  private ws?: WebSocketLike;
  private handlers?: TransportHandlers;
  private opened = false;
  private done = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private deadline?: unknown;
  private silenceMs = 0;

  constructor(private readonly ctx: TransportContext) {}

  open(handlers: TransportHandlers): void {
    this.handlers = handlers;
    const Ctor = this.ctx.WebSocket ?? (typeof WebSocket === 'function' ? (WebSocket as unknown as TransportContext['WebSocket']) : undefined);
    if (!Ctor) {
      this.finish({ code: 1006, reason: 'No WebSocket available: pass options.WebSocket', opened: false, unavailable: true });
      return;
    }
    const url = withQuery(`${this.ctx.endpoints.ws}/ws`, [['appkey', this.ctx.appkey], ...userQuery(this.ctx.user)]);
    let ws: WebSocketLike;
    try {
      ws = new Ctor(url);
    } catch (e) {
      this.finish({ code: 1006, reason: String(e), opened: false });
      return;
    }
    this.ws = ws;
    // A black-holed network leaves a socket connecting for minutes: give up sooner.
    this.deadline = this.ctx.timers.setTimeout(() => this.expire('connect timeout'), this.ctx.connectTimeout);
    ws.onopen = () => {
      this.opened = true;
      handlers.onOpen();
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onerror = () => undefined; // a close always follows, with the code
    ws.onclose = (ev) => {
      const terminal = isTerminalClose(ev.code) ? fromClose(ev.code, ev.reason) : undefined;
      this.finish({ code: ev.code, reason: ev.reason, opened: this.opened, terminal });
    };
  }

  close(): void {
    this.done = true;
    this.teardown();
    try {
      this.ws?.close(CLOSE_CODES.normal, 'client disconnect');
    } catch {
      // already closing
    }
  }

  private receive(data: unknown): void {
    if (this.done || typeof data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!isServerFrame(frame)) return;
    this.armHeartbeat();
    switch (frame.type) {
      case 'connected':
        this.silenceMs = frame.pingInterval + frame.pongTimeout;
        this.armHeartbeat();
        break;
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'reply':
      case 'pong':
        return this.settle(frame.id, (p) => p.resolve(frame.type === 'reply' ? frame.result : undefined));
      case 'error':
        if (frame.channel === undefined && typeof frame.id === 'number' && this.pending.has(frame.id)) {
          return this.settle(frame.id, (p) => p.reject(new HeraldError(frame.code, frame.reason, frame.content)));
        }
        break;
    }
    this.handlers?.onFrame(frame);
  }

  private settle(id: unknown, fn: (p: Pending) => void): void {
    const p = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (!p) return;
    this.pending.delete(id as number);
    fn(p);
  }

  private armHeartbeat(): void {
    if (!this.silenceMs) return;
    const t = this.ctx.timers;
    if (this.deadline !== undefined) t.clearTimeout(this.deadline);
    this.deadline = t.setTimeout(() => this.expire('heartbeat timeout'), this.silenceMs);
  }

  private expire(reason: string): void {
    if (this.ws) this.ws.onclose = null;
    try {
      this.ws?.close(4000, reason);
    } catch {
      // already closing
    }
    this.finish({ code: 4501, reason, opened: this.opened });
  }

  private teardown(): void {
    if (this.deadline !== undefined) this.ctx.timers.clearTimeout(this.deadline);
    this.deadline = undefined;
    const lost = new ConnectionLost();
    for (const p of this.pending.values()) p.reject(lost);
    this.pending.clear();
  }

  private finish(info: Parameters<TransportHandlers['onClose']>[0]): void {
    if (this.done) return;
    this.done = true;
    this.teardown();
    if (this.ws) this.ws.onopen = this.ws.onmessage = this.ws.onclose = null;
    this.handlers?.onClose(info);
  }

  private send(frame: Record<string, unknown>): boolean {
    if (this.done || !this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private call<T>(frame: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.send({ ...frame, id })) return reject(new ConnectionLost());
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
    });
  }

  subscribe(items: SubscribeRequest[]): void {
    if (!items.length) return;
    const channels = items.map((i) => ({
      channel: i.channel,
      ...(i.position ? { offset: i.position.offset, epoch: i.position.epoch } : {}),
      ...(i.presence ? { presence: true } : {}),
      ...(i.accessToken ? { accessToken: i.accessToken } : {}),
    }));
    this.send({ type: 'subscribe', id: this.nextId++, channels });
  }

  async unsubscribe(channels: string[]): Promise<void> {
    if (channels.length) await this.call({ type: 'unsubscribe', channels });
  }

  watchPresence(channel: string, accessToken?: string): Promise<HereNowContent> {
    return this.call({ type: 'presence_subscribe', channel, accessToken });
  }

  async unwatchPresence(channel: string): Promise<void> {
    await this.call({ type: 'presence_unsubscribe', channel });
  }

  publish(c: PublishCall): Promise<PublishResult> {
    return this.call({ type: 'publish', channel: c.channel, message: c.message, messageId: c.messageId, ...(c.accessToken ? { accessToken: c.accessToken } : {}) });
  }

  history(q: ReadCall & { since?: number }): Promise<HistoryContent> {
    return this.call({ type: 'history', ...q });
  }

  hereNow(q: ReadCall): Promise<HereNowContent> {
    return this.call({ type: 'herenow', ...q });
  }
}

export type { ServerFrame };
