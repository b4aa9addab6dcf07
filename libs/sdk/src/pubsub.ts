import { call } from './callbacks.js';
import { ConnectionLost, HeraldError, errors, protocolError, toHeraldError } from './errors.js';
import type { Requests } from './requests.js';
import { SubscriptionMachine } from './subscription-state.js';
import { keepTokenFresh } from './token-refresh.js';
import type { PresenceWatch, Subscription, SubscriptionBook } from './subscriptions.js';
import type { Transport } from './transports/transport.js';
import { MAX_CHANNELS_PER_FRAME as MAX_CHANNELS, isValidChannel } from './wire.js';
import type {
  HereNowContent,
  HereNowOptions,
  HistoryContent,
  HistoryOptions,
  HeraldMessage,
  PublishOptions,
  PublishResult,
  Result,
  SubscribeOptions,
  SubscribePresenceOptions,
  UnsubscribeOptions,
  UnsubscribePresenceOptions,
} from './types.js';


export interface PubSubHost {
  readonly book: SubscriptionBook;
  readonly requests: Requests;
  /** The open transport, if the client is connected. */
  transport(): Transport | undefined;
  random(): number;
  /** Reports a problem that fails no call (the app's `error` event). */
  warn(error: HeraldError): void;
}

export const PRESENCE_ON_POLLING = 'Presence membership needs WebSocket or SSE; on long-polling the channels are subscribed without it';

export function channelsOf(o: { channel?: string; channels?: string[] }): string[] {
  if (o.channel !== undefined && o.channels !== undefined) throw errors.invalid('Pass channel or channels, not both');
  const list = o.channels ?? (o.channel !== undefined ? [o.channel] : []);
  if (!Array.isArray(list) || list.length === 0) throw errors.invalid('channel is required');
  if (list.length > MAX_CHANNELS) throw errors.invalid(`At most ${MAX_CHANNELS} channels at once`);
  for (const c of list) if (!isValidChannel(c)) throw protocolError(400, 'invalid_channel', `Invalid channel name ${JSON.stringify(c)}`);
  return [...new Set(list)];
}

function oneChannel(channel: unknown): string {
  return channelsOf({ channel: channel as string })[0];
}

/** `client.pubsub`: GoEasy's pubsub module. Every call takes callbacks and returns a Promise. */
export class PubSub {
  constructor(private readonly host: PubSubHost) {}

  subscribe<T = unknown>(opts: SubscribeOptions<T>): Promise<void> {
    return call(opts, () => {
      const channels = channelsOf(opts);
      if (typeof opts.onMessage !== 'function') throw errors.invalid('onMessage is required');
      const presence = opts.presence === true || (typeof opts.presence === 'object' && opts.presence !== null && opts.presence.enable === true);
      const { book } = this.host;
      const fresh: Subscription[] = [];
      const waits = channels.map((channel) => {
        let sub = book.subs.get(channel);
        if (!sub) {
          sub = { channel, machine: new SubscriptionMachine(), handlers: new Set(), presence, accessToken: opts.accessToken, waiters: [] };
          if (opts.refreshAccessToken) sub.stopRefresh = keepTokenFresh(sub, opts.refreshAccessToken, (e) => this.host.warn(toHeraldError(e)));
          book.subs.set(channel, sub);
          sub.machine.send('request');
          fresh.push(sub);
        }
        sub.handlers.add(opts.onMessage as (m: HeraldMessage) => void);
        if (sub.machine.status === 'subscribed') return Promise.resolve();
        const s = sub;
        return new Promise<void>((resolve, reject) => s.waiters.push({ resolve, reject }));
      });
      const t = this.host.transport();
      if (t && fresh.length) t.subscribe(fresh.map((s) => book.request(s)));
      if (t?.name === 'polling' && presence) this.host.warn(errors.invalid(PRESENCE_ON_POLLING));
      return Promise.all(waits).then(() => undefined);
    });
  }

  unsubscribe(opts: UnsubscribeOptions): Promise<void> {
    return call(opts, async () => {
      const channels = channelsOf(opts).filter((c) => this.host.book.remove(c));
      const t = this.host.transport();
      if (t && channels.length) await t.unsubscribe(channels).catch(ignoreLost);
    });
  }

  publish(opts: PublishOptions): Promise<PublishResult> {
    return call(opts, () => {
      const channel = oneChannel(opts.channel);
      if (opts.message === undefined) throw protocolError(400, 'invalid_message', 'message is required');
      const messageId = opts.messageId ?? this.messageId();
      return this.host.requests.run('publish', (t) => t.publish({ channel, message: opts.message, messageId, accessToken: opts.accessToken }));
    });
  }

  history(opts: HistoryOptions): Promise<Result<HistoryContent>> {
    return call(opts, () => {
      const channel = oneChannel(opts.channel);
      return this.host.requests.run('history', (t) => t.history({ channel, limit: opts.limit, since: opts.since, accessToken: opts.accessToken })).then(ok);
    });
  }

  hereNow(opts: HereNowOptions): Promise<Result<HereNowContent>> {
    return call(opts, () => {
      const channel = oneChannel(opts.channel);
      return this.host.requests.run('hereNow', (t) => t.hereNow({ channel, limit: opts.limit, accessToken: opts.accessToken })).then(ok);
    });
  }

  subscribePresence(opts: SubscribePresenceOptions): Promise<Result<HereNowContent>> {
    return call(opts, () => {
      const channel = oneChannel(opts.channel);
      if (typeof opts.onPresence !== 'function') throw errors.invalid('onPresence is required');
      const { watches } = this.host.book;
      let w = watches.get(channel);
      const isNew = !w;
      if (!w) watches.set(channel, (w = { channel, handlers: new Set(), membersLimit: opts.membersLimit ?? 100, accessToken: opts.accessToken, members: new Map(), waiters: [] }));
      w.handlers.add(opts.onPresence);
      const watch = w;
      const answered = new Promise<HereNowContent>((resolve, reject) => watch.waiters.push({ resolve, reject }));
      const t = this.host.transport();
      if (t) this.watchOn(t, watch, isNew);
      return answered.then(ok);
    });
  }

  unsubscribePresence(opts: UnsubscribePresenceOptions): Promise<void> {
    return call(opts, async () => {
      const channel = oneChannel(opts.channel);
      const w = this.host.book.watches.get(channel);
      if (!w) return;
      this.host.book.watches.delete(channel);
      for (const x of w.waiters.splice(0)) x.reject(new HeraldError(409, 'unsubscribed', 'unsubscribePresence() was called'));
      await this.host.transport()?.unwatchPresence(channel).catch(ignoreLost);
    });
  }

  /** The connection opened: resubscribe everything from its position, re-read presence snapshots. */
  opened(t: Transport): void {
    const { book } = this.host;
    const pending = [...book.subs.values()].filter((s) => s.machine.status === 'subscribing');
    if (pending.length) t.subscribe(pending.map((s) => book.request(s)));
    for (const w of book.watches.values()) this.watchOn(t, w, true);
  }

  /** Subscribes presence events (or, when already subscribed on this connection, re-reads hereNow). */
  private watchOn(t: Transport, w: PresenceWatch, subscribe: boolean): void {
    const read = subscribe ? t.watchPresence(w.channel, w.accessToken) : t.hereNow({ channel: w.channel, limit: 100, accessToken: w.accessToken });
    read.then(
      (snapshot) => {
        if (this.host.book.watches.get(w.channel) !== w) return;
        w.members.clear();
        for (const m of snapshot.members) w.members.set(m.id, m);
        for (const x of w.waiters.splice(0)) x.resolve(snapshot);
      },
      (e: unknown) => {
        if (e instanceof ConnectionLost) return; // the next connection asks again
        if (this.host.book.watches.get(w.channel) === w) this.host.book.watches.delete(w.channel);
        for (const x of w.waiters.splice(0)) x.reject(toHeraldError(e));
      },
    );
  }

  /** An idempotency key: a publish re-sent after a reconnect is stored once by the gateway. */
  private messageId(): string {
    let id = 'sdk-';
    for (let i = 0; i < 20; i++) id += '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(this.host.random() * 36)];
    return id;
  }
}

function ok<T>(content: T): Result<T> {
  return { code: 200, content };
}

function ignoreLost(e: unknown): void {
  if (!(e instanceof ConnectionLost)) throw e;
}
