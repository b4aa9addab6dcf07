import { Backoff } from './backoff.js';
import { settle } from './callbacks.js';
import { ConnectionMachine, isActive, isOpen } from './connection-state.js';
import { Emitter } from './emitter.js';
import { HeraldError, errors } from './errors.js';
import { PRESENCE_ON_POLLING, PubSub } from './pubsub.js';
import { Push } from './push/push.js';
import { Requests } from './requests.js';
import { SubscriptionBook, safely, toShape } from './subscriptions.js';
import { PollingTransport } from './transports/polling.js';
import { SseTransport } from './transports/sse.js';
import type { CloseInfo, Transport, TransportContext } from './transports/transport.js';
import { WebSocketTransport } from './transports/websocket.js';
import type { Callbacks, ConnectOptions, ConnectionStatus, HeraldEvents, HeraldOptions, Timers, TransportName } from './types.js';
import { endpoints } from './url.js';
import { CLOSE_CODES, type ServerFrame } from './wire.js';

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

const FACTORIES: Record<TransportName, (ctx: TransportContext) => Transport> = {
  websocket: (ctx) => new WebSocketTransport(ctx),
  sse: (ctx) => new SseTransport(ctx),
  polling: (ctx) => new PollingTransport(ctx),
};

/** Failed attempts on a transport that once worked before the client tries the next one again. */
const RELOCK_AFTER = 5;

/**
 * The client core. One transport at a time, chosen from an ordered list: a transport that never
 * opened is skipped for the next (WebSocket → SSE → long-polling); once one opened, the client keeps
 * it across reconnects. Every transport gets a generation number, and callbacks of an older
 * generation are dropped, so a stale socket can never move the state machine.
 */
export class HeraldClient extends Emitter<HeraldEvents> {
  readonly pubsub: PubSub;
  /** Web Push to closed pages (needs `options.api`): subscribe, unsubscribe, register. */
  readonly push: Push;
  readonly options: Readonly<HeraldOptions>;
  private readonly machine: ConnectionMachine;
  private readonly book: SubscriptionBook;
  private readonly requests: Requests;
  private readonly timers: Timers;
  private readonly backoff: Backoff;
  private readonly order: TransportName[];
  private transport?: Transport;
  private transportName?: TransportName;
  private generation = 0;
  private index = 0;
  private locked = false;
  private failures = 0;
  private skipped = 0;
  private attempts = 0;
  private everConnected = false;
  private retryTimer?: unknown;
  private user?: { id: string; data: Record<string, unknown> };
  private progress?: (attempts: number) => void;
  private waiting: Array<{ resolve: () => void; reject: (e: HeraldError) => void }> = [];
  private unlistenNetwork?: () => void;

  constructor(options: HeraldOptions) {
    super();
    if (!options || typeof options.host !== 'string' || !options.host) throw errors.invalid('host is required');
    if (typeof options.appkey !== 'string' || !options.appkey) throw errors.invalid('appkey is required');
    this.options = options;
    this.timers = options.timers ?? realTimers;
    this.order = options.transports?.length ? [...options.transports] : ['websocket', 'sse', 'polling'];
    this.backoff = new Backoff(options.minReconnectDelay ?? 500, options.maxReconnectDelay ?? 20_000, options.random);
    this.machine = new ConnectionMachine((s, p) => this.emit('status', s, p));
    this.requests = new Requests(this.timers, options.requestTimeout ?? 15_000, options.maxQueued ?? 100);
    this.book = new SubscriptionBook(options.dedupSize ?? 1000, {
      message: (m) => this.emit('message', m),
      subscribed: (f) => this.emit('subscribed', { channel: f.channel, epoch: f.epoch, offset: f.offset, recovered: f.recovered, replayed: f.replayed }),
      recovered: (e) => this.emit('recovered', e),
      failed: (channel, error) => {
        this.emit('unsubscribed', { channel, error: toShape(error) });
        this.emit('error', toShape(error));
      },
      presence: (e) => this.emit('presence', e),
    });
    const random = options.random ?? Math.random;
    this.push = new Push(options);
    this.pubsub = new PubSub({ book: this.book, requests: this.requests, transport: () => (isOpen(this.status) ? this.transport : undefined), random, warn: (e) => this.emit('error', toShape(e)) });
  }

  get status(): ConnectionStatus {
    return this.machine.status;
  }

  getConnectionStatus(): ConnectionStatus {
    return this.machine.status;
  }

  /** The transport in use (or being tried). */
  getTransport(): TransportName | undefined {
    return this.transportName;
  }

  connect(opts: ConnectOptions = {}): Promise<void> {
    let p: Promise<void>;
    if (opts.id !== undefined && (typeof opts.id !== 'string' || opts.id.length === 0 || opts.id.length > 60)) {
      p = Promise.reject(errors.invalid('id must be a string of 1 to 60 characters'));
    } else if (isOpen(this.status)) {
      p = Promise.resolve();
    } else {
      p = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
      if (!isActive(this.status)) {
        this.user = opts.id ? { id: opts.id, data: opts.data ?? {} } : undefined;
        this.progress = opts.onProgress;
        this.machine.send('connect');
        this.listenNetwork();
        this.attempts = 0;
        this.backoff.reset();
        this.open();
      }
    }
    return settle(p, opts);
  }

  disconnect(opts: Callbacks<void> = {}): Promise<void> {
    if (this.machine.send('disconnect')) {
      this.stopTransport();
      this.requests.failAll(errors.disconnected());
      for (const w of this.waiting.splice(0)) w.reject(errors.disconnected());
      this.book.lost();
      this.unlistenNetwork?.();
      this.machine.send('closed');
      this.emit('disconnected', { code: CLOSE_CODES.normal, reason: 'client disconnect', willReconnect: false });
    }
    return settle(Promise.resolve(), opts);
  }

  private open(): void {
    const name = this.order[this.index % this.order.length];
    const gen = ++this.generation;
    this.attempts++;
    if (this.progress) safely(() => this.progress!(this.attempts));
    const ctx: TransportContext = {
      endpoints: endpoints(this.options.host, this.options.forceTLS),
      appkey: this.options.appkey,
      user: this.user,
      position: (c) => this.book.position(c),
      WebSocket: this.options.WebSocket,
      EventSource: this.options.EventSource,
      fetch: this.options.fetch,
      timers: this.timers,
      pollTimeout: this.options.pollTimeout ?? 40_000,
      connectTimeout: this.options.connectTimeout ?? 10_000,
    };
    const t = FACTORIES[name](ctx);
    this.transport = t;
    this.transportName = name;
    t.open(
      {
        onOpen: () => undefined,
        onFrame: (f) => gen === this.generation && this.onFrame(t, f),
        onClose: (info) => gen === this.generation && this.onClose(info),
      },
      this.book.initial(),
    );
  }

  private onFrame(t: Transport, f: ServerFrame): void {
    if (f.type !== 'connected') return this.book.handle(f);
    const reconnect = this.everConnected;
    if (!this.machine.send('open')) return;
    this.everConnected = true;
    this.locked = true;
    this.failures = 0;
    this.skipped = 0;
    this.backoff.reset();
    this.attempts = 0;
    if (t.name === 'polling' && [...this.book.subs.values()].some((s) => s.presence)) {
      this.emit('error', toShape(errors.invalid(PRESENCE_ON_POLLING)));
    }
    this.pubsub.opened(t);
    this.requests.opened(t);
    for (const w of this.waiting.splice(0)) safely(w.resolve);
    this.emit('connected', { connectionId: f.connectionId, transport: t.name, reconnect });
  }

  private onClose(info: CloseInfo): void {
    this.transport = undefined;
    this.requests.lost();
    this.book.lost();
    if (info.terminal) return this.fail(info.terminal);
    // Fall back only from a transport that never opened (or that the gateway has switched off).
    let delay: number;
    if (info.unavailable || !info.opened) {
      if (this.locked && !info.unavailable && ++this.failures < RELOCK_AFTER) {
        delay = this.backoff.next();
      } else {
        this.locked = false;
        this.index++;
        this.skipped++;
        // A full round of transports without one opening: wait before the next round.
        delay = this.skipped % this.order.length === 0 ? this.backoff.next() : 0;
      }
    } else {
      delay = this.backoff.next();
    }
    if (!this.machine.send('lost')) return;
    this.emit('disconnected', { code: info.code, reason: info.reason, willReconnect: true });
    this.schedule(delay);
  }

  private schedule(delay: number): void {
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      if (isActive(this.status) && !this.transport) this.open();
    }, delay);
  }

  private fail(error: HeraldError): void {
    this.stopTransport();
    if (!this.machine.send('fail')) return;
    this.unlistenNetwork?.();
    this.requests.failAll(error);
    for (const w of this.waiting.splice(0)) w.reject(error);
    this.emit('error', toShape(error));
    this.emit('disconnected', { code: 4000 + error.code, reason: error.reason, willReconnect: false });
  }

  private stopTransport(): void {
    this.generation++;
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.transport?.close();
    this.transport = undefined;
    this.requests.lost();
  }

  /** Browsers: going offline drops the connection now; coming online reconnects without waiting. */
  private listenNetwork(): void {
    const g = globalThis as { addEventListener?: (t: string, f: () => void) => void; removeEventListener?: (t: string, f: () => void) => void };
    if (this.unlistenNetwork || typeof g.addEventListener !== 'function' || typeof g.removeEventListener !== 'function') return;
    const offline = () => {
      if (!isOpen(this.status)) return;
      const gen = this.generation;
      this.transport?.close();
      if (gen === this.generation) this.onClose({ code: 1006, reason: 'browser offline', opened: true });
    };
    const online = () => {
      if (!isActive(this.status) || this.transport) return;
      this.backoff.reset();
      this.schedule(0);
    };
    g.addEventListener('offline', offline);
    g.addEventListener('online', online);
    this.unlistenNetwork = () => {
      g.removeEventListener!('offline', offline);
      g.removeEventListener!('online', online);
      this.unlistenNetwork = undefined;
    };
  }
}
