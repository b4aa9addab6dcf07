import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig, type Logger } from '@herald/config';
import { AppLimits, ChannelLog, ChannelOccupancy, FanoutSubscriber, RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { HeraldError, type Position } from '@herald/protocol';
import { GatewayMetrics } from '@herald/observability';
import type { Session, Subscription } from '../session/session.js';
import { LiveFrame, readLiveFrame } from './live-frame.js';
import { OutboundFrame } from '../session/outbound-frame.js';
import { ChannelContinuity, type ChannelState } from './channel-continuity.js';

/** Presence frames share the channel's fan-out; the store writes them with `type` first. */
const PRESENCE_PREFIX = '{"type":"presence"';

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
 * history, and a lost continuity (epoch change, window passed) is announced — never silent (the
 * history side of this: ChannelContinuity).
 */
@Injectable()
export class ChannelHub implements OnModuleInit, OnApplicationShutdown {
  private readonly channels = new Map<string, ChannelState>();
  /** Deliveries per app since the last flush to the shared daily counters (one pipeline a second). */
  private readonly deliveries = new Map<string, number>();
  private flushTimer?: NodeJS.Timeout;
  private fanout!: FanoutSubscriber;
  private subscriber!: RedisClient;
  private readonly logger: Logger;
  private readonly continuity: ChannelContinuity;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    log: ChannelLog,
    private readonly keys: RedisKeys,
    private readonly metrics: GatewayMetrics,
    private readonly limits: AppLimits,
    private readonly occupancy: ChannelOccupancy,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'hub' });
    this.continuity = new ChannelContinuity(log, this.logger, (state, live) => this.deliver(state, live));
  }

  onModuleInit(): void {
    this.flushTimer = setInterval(() => this.flushDeliveries(), 1000);
    this.flushTimer.unref();
    this.subscriber = createRedis(this.config, 'fanout', 'gateway-fanout');
    this.fanout = new FanoutSubscriber(
      this.subscriber,
      this.keys,
      (appId, channel, text) => this.onLive(appId, channel, text),
      () => this.continuity.resyncAll([...this.channels.values()], (state) => this.channels.get(this.keys.member(state.appId, state.channel)) === state),
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
      const rec = await this.continuity.recover(state, app, since);
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
    this.continuity.receive(state, live);
  }

  /** Writes an in-order frame of the channel to its subscribers, counted for metrics and the app's usage. */
  private deliver(state: ChannelState, live: LiveFrame): void {
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
}
