import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { AppLimits, ChannelLog, ChannelOccupancy, FanoutSubscriber, RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { HeraldError, type Position } from '@herald/protocol';
import { GatewayMetrics } from '@herald/observability';
import type { Session, Subscription } from '../session/session.js';
import { LiveFrame, readLiveFrame } from './live-frame.js';
import { OutboundFrame } from '../session/outbound-frame.js';

/** Presence frames share the channel's fan-out; the store writes them with `type` first. */
const PRESENCE_PREFIX = '{"type":"presence"';

/** What this gateway knows of one channel its clients hold. */
interface ChannelState {
  readonly appId: string;
  readonly channel: string;
  readonly subs: Set<Subscription>;
  /** Sessions listening to the channel's presence events. */
  readonly watchers: Set<Session>;
  /** Epoch and last offset seen on the live feed; -1 until the first frame or recovery. */
  epoch: string;
  top: number;
  /** Set while history fills a gap; live frames wait in `held` meanwhile, in arrival order. */
  filling: boolean;
  held: LiveFrame[];
  /**
   * Recovery reads of this channel that resuming subscribers may share, by position ("epoch:offset", ""
   * for none). Dropped whenever a frame of the channel is delivered here: a read issued before any
   * frame after it reached this gateway misses nothing that a subscriber registered since would not get
   * live (see recoverShared). Undefined until a subscriber resumes.
   */
  recoveries?: Map<string, SharedRecovery>;
}

/** One recovery read, its frames parsed once for every subscriber that shares it. */
interface ReplayRead {
  epoch: string;
  top: number;
  recovered: boolean;
  frames: Array<{ frame: OutboundFrame; offset: number }>;
}

interface SharedRecovery {
  at: number;
  read: Promise<ReplayRead>;
}

/** How long a recovery read may be shared at most (its history window check is as of its own time). */
const RECOVERY_SHARE_MS = 1000;
/**
 * A channel whose catch-up read failed after a reconnect (its shard's new master not yet known to the
 * command client, still failing over) is tried again, after 250 ms, 500 ms, …: its frames published
 * before the subscription came back would otherwise wait for the channel's next message.
 */
const RESYNC_ATTEMPTS = 10;
const RESYNC_RETRY_MS = 250;

export interface SubscribeResult {
  epoch: string;
  offset: number;
  recovered: boolean;
  replayed: number;
}

/**
 * The gateway's channels: one Redis subscription per channel with local subscribers; each live frame
 * is parsed once and the same Buffer written to every subscriber. Guarantees, per subscriber:
 * offsets strictly increase (duplicates dropped by offset), a gap on the live feed is filled from
 * history, and a lost continuity (epoch change, window passed) is announced — never silent.
 */
@Injectable()
export class ChannelHub implements OnModuleInit, OnApplicationShutdown {
  private readonly channels = new Map<string, ChannelState>();
  /** Deliveries per app since the last flush to the shared daily counters (one pipeline a second). */
  private readonly deliveries = new Map<string, number>();
  private flushTimer?: NodeJS.Timeout;
  private fanout!: FanoutSubscriber;
  private subscriber!: RedisClient;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly log: ChannelLog,
    private readonly keys: RedisKeys,
    private readonly metrics: GatewayMetrics,
    private readonly limits: AppLimits,
    private readonly occupancy: ChannelOccupancy,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'hub' });
  }

  onModuleInit(): void {
    this.flushTimer = setInterval(() => this.flushDeliveries(), 1000);
    this.flushTimer.unref();
    this.subscriber = createRedis(this.config, 'fanout', 'gateway-fanout');
    this.fanout = new FanoutSubscriber(
      this.subscriber,
      this.keys,
      (appId, channel, text) => this.onLive(appId, channel, text),
      () => this.resyncAll(),
      this.config.fanoutLingerMs,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    this.fanout?.close();
    await this.flushDeliveries();
    this.subscriber?.disconnect();
  }

  private async flushDeliveries(): Promise<void> {
    if (this.deliveries.size === 0) return;
    const counts = new Map(this.deliveries);
    this.deliveries.clear();
    await this.limits.chargeDeliveries(counts).catch((e: Error) => this.logger.warn({ err: e.message }, 'delivery usage flush failed'));
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /**
   * Subscribes a session: live first (Redis subscription confirmed), then the recovery read, then the
   * `subscribed` frame, the missed frames, and whatever arrived live meanwhile — in offset order.
   */
  async subscribe(session: Session, channel: string, since: Position | undefined, subscribedFrame: (r: SubscribeResult) => OutboundFrame): Promise<SubscribeResult> {
    const app = session.ctx.app;
    const state = this.stateOf(app.id, channel);
    const sub: Subscription = { session, appId: app.id, channel, epoch: '', offset: 0, backlog: [] };
    state.subs.add(sub);
    this.occupancy.count(app.id, channel, state.subs.size);
    session.subscriptions.set(channel, sub);
    try {
      await this.fanout.add(app.id, channel);
      const rec = await this.recoverShared(state, app, since);
      if (session.closed) throw new HeraldError('server_shutdown', 'connection closed while subscribing');
      if (state.top < 0) {
        state.epoch = rec.epoch;
        state.top = rec.top;
      }
      const result: SubscribeResult = { epoch: rec.epoch, offset: rec.top, recovered: rec.recovered, replayed: rec.frames.length };
      sub.epoch = rec.epoch;
      sub.offset = rec.recovered && since ? since.offset : rec.top;
      session.send(subscribedFrame(result));
      // Positions advance frame by frame: a cursor taken mid-replay (SSE ids) must be exact.
      for (const f of rec.frames) {
        if (f.offset >= 0) sub.offset = f.offset;
        session.send(f.frame);
      }
      sub.offset = rec.top;
      const backlog = sub.backlog ?? [];
      sub.backlog = null;
      for (const live of backlog) this.deliverTo(sub, live);
      return result;
    } catch (e) {
      this.drop(sub);
      throw e;
    }
  }

  /**
   * The recovery read of a resuming subscriber, shared by every subscriber of this gateway resuming the
   * channel from the same position while no frame of the channel has been delivered here since the read
   * was sent (a reconnect storm resumes thousands of clients at the same few offsets: one Redis script
   * and one parse for all of them). Exact for each: the caller is in `state.subs` before it asks, and a
   * frame newer than the read's top reaches this gateway only after the read was sent — that frame
   * drops the shared read (advance/reset/onLive), so whoever found it still shared is registered before
   * every frame the read lacks is delivered, and receives them live (its backlog).
   */
  private recoverShared(state: ChannelState, app: Session['ctx']['app'], since: Position | undefined): Promise<ReplayRead> {
    const key = since ? `${since.epoch}:${since.offset}` : '';
    const now = Date.now();
    const shared = state.recoveries?.get(key);
    if (shared && now - shared.at < RECOVERY_SHARE_MS) return shared.read;
    const read = this.log.recover(app.id, state.channel, since, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 }, now).then(
      (rec): ReplayRead => ({
        epoch: rec.epoch,
        top: rec.top,
        recovered: rec.recovered,
        frames: rec.frames.map((text) => {
          const f = readLiveFrame(text);
          return f ? { frame: f.frame, offset: f.offset } : { frame: OutboundFrame.fromText('message', text), offset: -1 };
        }),
      }),
    );
    const entry = { at: now, read };
    (state.recoveries ??= new Map()).set(key, entry);
    read.catch(() => {
      if (state.recoveries?.get(key) === entry) state.recoveries.delete(key);
    });
    return read;
  }

  /** Presence events of a channel for this session (GoEasy's subscribePresence). */
  async watch(session: Session, channel: string): Promise<void> {
    const state = this.stateOf(session.appId, channel);
    state.watchers.add(session);
    session.addWatching(channel);
    try {
      await this.fanout.add(session.appId, channel);
    } catch (e) {
      this.unwatch(session, channel);
      throw e;
    }
  }

  unwatch(session: Session, channel: string): boolean {
    if (!session.deleteWatching(channel)) return false;
    const state = this.channels.get(this.keys.member(session.appId, channel));
    if (!state || !state.watchers.delete(session)) return false;
    this.release(state);
    return true;
  }

  private stateOf(appId: string, channel: string): ChannelState {
    const key = this.keys.member(appId, channel);
    let state = this.channels.get(key);
    if (!state) {
      state = { appId, channel, subs: new Set(), watchers: new Set(), epoch: '', top: -1, filling: false, held: [] };
      this.channels.set(key, state);
      this.occupancy.hold(appId, channel);
    }
    return state;
  }

  /** One reference fewer on the channel's Redis subscription; the state goes with the last one. */
  private release(state: ChannelState): void {
    if (state.subs.size === 0 && state.watchers.size === 0 && this.channels.delete(this.keys.member(state.appId, state.channel))) {
      this.occupancy.release(state.appId, state.channel);
    }
    this.fanout.remove(state.appId, state.channel).catch((e: Error) => this.logger.warn({ err: e.message }, 'unsubscribe failed'));
  }

  unsubscribe(session: Session, channel: string): boolean {
    const sub = session.subscriptions.get(channel);
    if (!sub) return false;
    this.drop(sub);
    return true;
  }

  unsubscribeAll(session: Session): void {
    for (const sub of [...session.subscriptions.values()]) this.drop(sub);
    for (const channel of [...session.watching]) this.unwatch(session, channel);
  }

  private drop(sub: Subscription): void {
    sub.session.subscriptions.delete(sub.channel);
    const state = this.channels.get(this.keys.member(sub.appId, sub.channel));
    if (!state || !state.subs.delete(sub)) return;
    this.occupancy.count(sub.appId, sub.channel, state.subs.size);
    this.release(state);
  }

  private onLive(appId: string, channel: string, text: string): void {
    const state = this.channels.get(this.keys.member(appId, channel));
    if (state && text.startsWith(PRESENCE_PREFIX)) {
      const frame = OutboundFrame.fromText('presence', text);
      for (const w of state.watchers) w.send(frame);
      return;
    }
    const live = state && readLiveFrame(text);
    if (!state || !live) return;
    state.recoveries = undefined;
    if (state.filling) state.held.push(live);
    else this.process(state, live);
  }

  private process(state: ChannelState, live: LiveFrame): void {
    if (state.top >= 0 && live.epoch !== state.epoch) {
      // A new epoch (history lost, or a failover: channel-scripts.ts) numbers from 1: announce the reset,
      // then deliver what it already holds before this frame, from history.
      this.reset(state, live.epoch, 0);
      if (live.offset > 1) {
        void this.fill(state, 1, live);
        return;
      }
    } else if (state.top >= 0 && live.offset > state.top + 1) {
      void this.fill(state, state.top + 1, live);
      return;
    } else if (state.top >= 0 && live.offset <= state.top) {
      return; // already delivered (e.g. also read while filling a gap)
    }
    this.advance(state, live);
  }

  private advance(state: ChannelState, live: LiveFrame): void {
    state.recoveries = undefined;
    state.epoch = live.epoch;
    state.top = live.offset;
    const sent = { ws: 0, sse: 0, poll: 0, pusher: 0, mqtt: 0 };
    for (const sub of state.subs) if (this.deliverTo(sub, live)) sent[sub.session.transport.name]++;
    for (const t of ['ws', 'sse', 'poll', 'pusher', 'mqtt'] as const) if (sent[t] > 0) this.metrics.delivered(t, sent[t], live.time);
    const total = sent.ws + sent.sse + sent.poll + sent.pusher + sent.mqtt;
    if (total > 0) this.deliveries.set(state.appId, (this.deliveries.get(state.appId) ?? 0) + total);
  }

  /** Deliveries made outside a channel's subscribers (MQTT wildcard filters): metrics and the app's usage, as for theirs. */
  countDeliveries(appId: string, transport: 'mqtt', n: number, publishedAt: number): void {
    this.metrics.delivered(transport, n, publishedAt);
    this.deliveries.set(appId, (this.deliveries.get(appId) ?? 0) + n);
  }

  /**
   * Reads the missed offsets from history (up to `upTo`, or to the newest when resyncing), delivers
   * them, then `upTo`, then the frames held meanwhile. Offsets the window no longer holds are
   * announced with a reset.
   */
  private async fill(state: ChannelState, from: number, upTo: LiveFrame | undefined): Promise<void> {
    state.filling = true;
    try {
      const to = upTo ? upTo.offset - 1 : Number.MAX_SAFE_INTEGER;
      const texts = await this.log.range(state.appId, state.channel, from, to);
      const frames = texts.map(readLiveFrame).filter((f): f is LiveFrame => f !== undefined && f.epoch === state.epoch);
      const contiguous = frames.every((f, i) => f.offset === from + i);
      const complete = contiguous && (upTo ? frames.length === upTo.offset - from : true);
      if (!complete) {
        this.logger.warn({ channel: state.channel, from, to }, 'gap beyond the history window');
        this.reset(state, state.epoch, upTo ? upTo.offset - 1 : (frames.at(-1)?.offset ?? state.top));
      } else {
        for (const f of frames) this.advance(state, f);
      }
    } catch (e) {
      this.logger.warn({ err: (e as Error).message, channel: state.channel }, 'gap fill failed');
      if (upTo) this.reset(state, upTo.epoch, upTo.offset - 1);
    } finally {
      if (upTo && upTo.offset > state.top) this.advance(state, upTo);
      state.filling = false;
      const held = state.held.splice(0);
      for (const f of held) {
        if (state.filling) state.held.push(f);
        else this.process(state, f);
      }
    }
  }

  /** Continuity lost (history flushed or passed): every subscriber is told, then continues from here. */
  private reset(state: ChannelState, epoch: string, offset: number): void {
    state.recoveries = undefined;
    state.epoch = epoch;
    state.top = offset;
    const frame = OutboundFrame.of({ type: 'reset', channel: state.channel, epoch, offset });
    for (const sub of state.subs) {
      if (sub.backlog) continue; // still subscribing: its recovery read reports the new epoch itself
      if (sub.epoch === epoch && sub.offset >= offset) continue; // already has everything up to here
      sub.epoch = epoch;
      sub.offset = offset;
      sub.session.send(frame);
    }
  }

  /** true when the frame was written to the subscriber now. */
  private deliverTo(sub: Subscription, live: LiveFrame): boolean {
    if (sub.backlog) {
      sub.backlog.push(live);
      return false;
    }
    if (live.epoch !== sub.epoch) {
      sub.epoch = live.epoch;
      sub.offset = live.offset - 1;
      sub.session.send(OutboundFrame.of({ type: 'reset', channel: sub.channel, epoch: live.epoch, offset: sub.offset }));
    }
    if (live.offset <= sub.offset) return false;
    sub.offset = live.offset;
    sub.session.send(live.frame);
    return true;
  }

  /** After the pub/sub connection came back: catch up every channel from history (failed ones again, a few times). */
  private async resyncAll(): Promise<void> {
    let pending = [...this.channels.values()];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failed = [];
      for (const state of pending) if (!(await this.resync(state))) failed.push(state);
      if (failed.length === 0) return;
      if (attempt === RESYNC_ATTEMPTS) {
        this.logger.warn({ channels: failed.length }, 'resync gave up: these channels catch up on their next message');
        return;
      }
      await new Promise((r) => setTimeout(r, RESYNC_RETRY_MS * attempt));
      pending = failed.filter((state) => this.channels.get(this.keys.member(state.appId, state.channel)) === state); // still held
    }
  }

  /** false when the channel's history could not be read (worth another try). */
  private async resync(state: ChannelState): Promise<boolean> {
    if (state.filling || state.top < 0) return true; // a fill in progress reads up to its live frame
    const app = [...state.subs][0]?.session.ctx.app;
    if (!app) return true;
    try {
      const rec = await this.log.recover(state.appId, state.channel, undefined, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 });
      if (rec.epoch !== state.epoch) this.reset(state, rec.epoch, 0); // a new epoch: its frames follow, from 1
      if (rec.top > state.top) await this.fill(state, state.top + 1, undefined);
      // Not caught up: the fill's read failed. (A newer epoch seen live meanwhile is its own catch-up.)
      return state.epoch !== rec.epoch || state.top >= rec.top;
    } catch (e) {
      this.logger.warn({ err: (e as Error).message, channel: state.channel }, 'resync failed');
      return false;
    }
  }
}
