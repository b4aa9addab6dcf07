import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelLog, FanoutSubscriber, RedisKeys, createRedis } from '@herald/bus';
import { HeraldError, type Position } from '@herald/protocol';
import type { Redis } from 'ioredis';
import type { Session, Subscription } from '../session/session.js';
import { LiveFrame, readLiveFrame } from './live-frame.js';

/** What this gateway knows of one channel its clients hold. */
interface ChannelState {
  readonly appId: string;
  readonly channel: string;
  readonly subs: Set<Subscription>;
  /** Epoch and last offset seen on the live feed; -1 until the first frame or recovery. */
  epoch: string;
  top: number;
  /** Set while history fills a gap; live frames wait in `held` meanwhile, in arrival order. */
  filling: boolean;
  held: LiveFrame[];
}

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
  private fanout!: FanoutSubscriber;
  private subscriber!: Redis;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly log: ChannelLog,
    private readonly keys: RedisKeys,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'hub' });
  }

  onModuleInit(): void {
    this.subscriber = createRedis(this.config, 'subscriber', 'gateway-fanout');
    this.fanout = new FanoutSubscriber(
      this.subscriber,
      this.keys,
      (appId, channel, text) => this.onLive(appId, channel, text),
      () => void this.resyncAll(),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /**
   * Subscribes a session: live first (Redis subscription confirmed), then the recovery read, then the
   * `subscribed` frame, the missed frames, and whatever arrived live meanwhile — in offset order.
   */
  async subscribe(session: Session, channel: string, since: Position | undefined, encodeSubscribed: (r: SubscribeResult) => string): Promise<SubscribeResult> {
    const app = session.ctx.app;
    const key = this.keys.member(app.id, channel);
    let state = this.channels.get(key);
    if (!state) {
      state = { appId: app.id, channel, subs: new Set(), epoch: '', top: -1, filling: false, held: [] };
      this.channels.set(key, state);
    }
    const sub: Subscription = { session, appId: app.id, channel, epoch: '', offset: 0, backlog: [] };
    state.subs.add(sub);
    session.subscriptions.set(channel, sub);
    try {
      await this.fanout.add(app.id, channel);
      const rec = await this.log.recover(app.id, channel, since, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 });
      if (session.closed) throw new HeraldError('server_shutdown', 'connection closed while subscribing');
      if (state.top < 0) {
        state.epoch = rec.epoch;
        state.top = rec.top;
      }
      const result: SubscribeResult = { epoch: rec.epoch, offset: rec.top, recovered: rec.recovered, replayed: rec.frames.length };
      sub.epoch = rec.epoch;
      session.send(encodeSubscribed(result));
      for (const f of rec.frames) session.send(f);
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

  unsubscribe(session: Session, channel: string): boolean {
    const sub = session.subscriptions.get(channel);
    if (!sub) return false;
    this.drop(sub);
    return true;
  }

  unsubscribeAll(session: Session): void {
    for (const sub of [...session.subscriptions.values()]) this.drop(sub);
  }

  private drop(sub: Subscription): void {
    sub.session.subscriptions.delete(sub.channel);
    const key = this.keys.member(sub.appId, sub.channel);
    const state = this.channels.get(key);
    if (!state || !state.subs.delete(sub)) return;
    if (state.subs.size === 0) this.channels.delete(key);
    this.fanout.remove(sub.appId, sub.channel).catch((e: Error) => this.logger.warn({ err: e.message }, 'unsubscribe failed'));
  }

  private onLive(appId: string, channel: string, text: string): void {
    const state = this.channels.get(this.keys.member(appId, channel));
    const live = state && readLiveFrame(text);
    if (!state || !live) return;
    if (state.filling) state.held.push(live);
    else this.process(state, live);
  }

  private process(state: ChannelState, live: LiveFrame): void {
    if (state.top >= 0 && live.epoch !== state.epoch) {
      this.reset(state, live.epoch, live.offset - 1);
    } else if (state.top >= 0 && live.offset > state.top + 1) {
      void this.fill(state, state.top + 1, live);
      return;
    } else if (state.top >= 0 && live.offset <= state.top) {
      return; // already delivered (e.g. also read while filling a gap)
    }
    this.advance(state, live);
  }

  private advance(state: ChannelState, live: LiveFrame): void {
    state.epoch = live.epoch;
    state.top = live.offset;
    for (const sub of state.subs) this.deliverTo(sub, live);
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
    state.epoch = epoch;
    state.top = offset;
    const frame = Buffer.from(JSON.stringify({ type: 'reset', channel: state.channel, epoch, offset }));
    for (const sub of state.subs) {
      if (sub.backlog) continue; // still subscribing: its recovery read reports the new epoch itself
      if (sub.epoch === epoch && sub.offset >= offset) continue; // already has everything up to here
      sub.epoch = epoch;
      sub.offset = offset;
      sub.session.send(frame);
    }
  }

  private deliverTo(sub: Subscription, live: LiveFrame): void {
    if (sub.backlog) {
      sub.backlog.push(live);
      return;
    }
    if (live.epoch !== sub.epoch) {
      sub.epoch = live.epoch;
      sub.offset = live.offset - 1;
      sub.session.send(JSON.stringify({ type: 'reset', channel: sub.channel, epoch: live.epoch, offset: sub.offset }));
    }
    if (live.offset <= sub.offset) return;
    sub.offset = live.offset;
    sub.session.send(live.frame);
  }

  /** After the pub/sub connection came back: catch up every channel from history. */
  private async resyncAll(): Promise<void> {
    for (const state of this.channels.values()) {
      if (state.filling || state.top < 0) continue;
      const app = [...state.subs][0]?.session.ctx.app;
      if (!app) continue;
      try {
        const rec = await this.log.recover(state.appId, state.channel, undefined, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 });
        if (rec.epoch !== state.epoch) this.reset(state, rec.epoch, rec.top);
        else if (rec.top > state.top) await this.fill(state, state.top + 1, undefined);
      } catch (e) {
        this.logger.warn({ err: (e as Error).message }, 'resync failed');
      }
    }
  }
}
