import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { MqttWildcardMarks, RedisKeys, WILDCARD_MARK_CACHE_MS, createRedis, type RedisClient } from '@herald/bus';
import { AccessTokens } from '@herald/db';
import { HeraldError } from '@herald/protocol';
import { ChannelHub } from '../channels/channel-hub.js';
import { readLiveFrame } from '../channels/live-frame.js';
import type { Connected } from './mqtt-connected.js';
import { TopicFilter } from './topic-filter.js';

/** Presence frames share the channel's fan-out; they have no MQTT form. */
const PRESENCE_PREFIX = '{"type":"presence"';
/** Redis glob characters, escaped in the key prefix of a pattern. */
const escapeGlob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/**
 * MQTT wildcard subscriptions (`+`, `#`) within one app. A gateway with at least one wildcard filter of
 * an app listens to every message of that app, on a Redis connection of its own, and matches each
 * frame's channel against its connections' filters in process:
 *  - one Redis: it pattern-subscribes (PSUBSCRIBE) to the app's fan-out channels, `<prefix>fan:<appId>|*`
 *    (never another app's);
 *  - a Redis Cluster, whose fan-out is sharded (SPUBLISH, no pattern form): it marks the app as held
 *    (MqttWildcardMarks, a lease renewed every third of HERALD_CONN_LEASE_MS) and subscribes to the app's
 *    classic wildcard channel, on which every accept of a marked app also publishes its frame. The first
 *    filter of an app on this gateway is confirmed WILDCARD_MARK_CACHE_MS after the mark, when no
 *    accepting process still trusts an older unmarked read.
 * A channel the connection also subscribes to by name is delivered there (with its positions) and not
 * again here; among several matching filters a message goes out once, at the highest QoS granted.
 * Private channels are matched only for connections holding the app secret (an access token is for one
 * named channel). Deliveries are live: no history replay, no positions.
 */
@Injectable()
export class MqttWildcards implements OnApplicationShutdown {
  /** Connections with wildcard filters, by app. */
  private readonly byApp = new Map<string, Set<Connected>>();
  /** Each app's subscription (and, on a cluster, its mark), confirmed once its promise resolves. */
  private readonly listening = new Map<string, Promise<unknown>>();
  private subscriber?: RedisClient;
  private readonly fanPrefix: string;
  private readonly wildcardPrefix: string;
  /** This process as a holder of wildcard marks (cluster). */
  private readonly gatewayId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private renewal?: NodeJS.Timeout;
  private readonly logger;

  constructor(
    private readonly keys: RedisKeys,
    private readonly marks: MqttWildcardMarks,
    private readonly hub: ChannelHub,
    private readonly access: AccessTokens,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.fanPrefix = keys.fanoutPrefix;
    this.wildcardPrefix = keys.mqttWildcardFanout('');
    this.logger = createLogger(config, 'gateway').child({ component: 'mqtt' });
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.renewal);
    // Other gateways stop receiving this one's apps at once rather than a lease later.
    if (this.keys.cluster) await Promise.all([...this.byApp.keys()].map((appId) => this.marks.release(appId, this.gatewayId).catch(() => undefined)));
    this.subscriber?.disconnect();
  }

  /**
   * The app's subscription, live before a resumed session's CONNACK: its filters are then registered
   * synchronously after it, so nothing published once the client has its CONNACK is missed.
   */
  prepare(appId: string): Promise<unknown> {
    return this.listen(appId);
  }

  /**
   * Adds (or replaces the QoS of) a filter; resolves once the app's subscription is live. The filter is
   * registered before the first await: with a prepared subscription it matches from this call on.
   */
  async add(c: Connected, filter: string, qos: 0 | 1): Promise<void> {
    c.transport.filters.set(filter, { match: new TopicFilter(filter), qos });
    c.session.filterCount = c.transport.filters.size;
    const appId = c.session.appId;
    let conns = this.byApp.get(appId);
    if (!conns) this.byApp.set(appId, (conns = new Set()));
    if (!conns.has(c)) {
      conns.add(c);
      void c.transport.whenClosed().then(() => this.removeAll(c));
    }
    try {
      await this.listen(appId);
    } catch (e) {
      this.remove(c, filter);
      throw e;
    }
  }

  /** true when the connection held the filter. */
  remove(c: Connected, filter: string): boolean {
    if (!c.transport.filters.delete(filter)) return false;
    c.session.filterCount = c.transport.filters.size;
    if (c.transport.filters.size === 0) this.removeAll(c);
    return true;
  }

  private removeAll(c: Connected): void {
    const appId = c.session.appId;
    const conns = this.byApp.get(appId);
    if (!conns?.delete(c) || conns.size > 0) return;
    this.byApp.delete(appId);
    this.listening.delete(appId);
    const unsubscribed = this.keys.cluster ? this.subscriber?.unsubscribe(this.keys.mqttWildcardFanout(appId)) : this.subscriber?.punsubscribe(this.patternOf(appId));
    unsubscribed?.catch((e: Error) => this.logger.warn({ err: e.message }, 'wildcard unsubscribe failed'));
    if (this.keys.cluster) this.marks.release(appId, this.gatewayId).catch((e: Error) => this.logger.warn({ err: e.message }, 'wildcard mark release failed'));
  }

  private patternOf(appId: string): string {
    return `${escapeGlob(this.fanPrefix)}${appId}|*`;
  }

  private listen(appId: string): Promise<unknown> {
    let ready = this.listening.get(appId);
    if (ready) return ready;
    ready = (this.keys.cluster ? this.listenOnCluster(appId) : this.connection().psubscribe(this.patternOf(appId))).catch((e: unknown) => {
      this.listening.delete(appId);
      throw new HeraldError('unavailable', `wildcard subscriptions unavailable: ${(e as Error).message}`);
    });
    this.listening.set(appId, ready);
    return ready;
  }

  /**
   * Subscribed first, then marked: once the mark is visible the frames reach this gateway. Confirmed
   * WILDCARD_MARK_CACHE_MS after the mark: an accept that read the app unmarked before may still skip
   * the wildcard channel until then. What stays open is an accept already under way across the wait
   * (its mark read before, its script after: about one round trip).
   */
  private async listenOnCluster(appId: string): Promise<void> {
    await this.connection().subscribe(this.keys.mqttWildcardFanout(appId));
    await this.marks.hold([appId], this.gatewayId, this.config.connLeaseMs);
    // Its last filter went while the mark was being written (removeAll released it first): release it again.
    // (`listening`, not `byApp`: a resumed session prepares the app before registering its filters.)
    if (!this.listening.has(appId)) await this.marks.release(appId, this.gatewayId);
    this.renewal ??= setInterval(() => this.renew(), this.config.connLeaseMs / 3).unref();
    await sleep(WILDCARD_MARK_CACHE_MS);
  }

  /** Every app this gateway holds filters of, in one round trip per node; also re-creates a mark Redis lost. */
  private renew(): void {
    if (this.byApp.size === 0) return;
    this.marks.hold(this.byApp.keys(), this.gatewayId, this.config.connLeaseMs).catch((e: Error) => this.logger.warn({ err: e.message }, 'wildcard mark renewal failed'));
  }

  private connection(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const subscriber = createRedis(this.config, 'subscriber', 'gateway-mqtt-wildcards');
    subscriber.on('pmessage', (_pattern: string, redisChannel: string, text: string) => {
      const rest = redisChannel.slice(this.fanPrefix.length);
      const bar = rest.indexOf('|');
      this.onFrame(rest.slice(0, bar), rest.slice(bar + 1), text);
    });
    // Cluster: `<channel>\n<frame>` on the app's wildcard channel (channel names have no newline).
    subscriber.on('message', (redisChannel: string, text: string) => {
      if (!redisChannel.startsWith(this.wildcardPrefix)) return;
      const newline = text.indexOf('\n');
      this.onFrame(redisChannel.slice(this.wildcardPrefix.length), text.slice(0, newline), text.slice(newline + 1));
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  private onFrame(appId: string, channel: string, text: string): void {
    if (text.startsWith(PRESENCE_PREFIX)) return;
    const conns = this.byApp.get(appId);
    if (!conns) return;
    let live: ReturnType<typeof readLiveFrame> | null = null;
    let sent = 0;
    for (const c of conns) {
      // Subscribed by name: the channel hub delivers it there, in order and with positions.
      if (c.session.closed || c.session.subscriptions.has(channel)) continue;
      let qos: 0 | 1 | undefined;
      for (const f of c.transport.filters.values()) {
        if ((qos === undefined || f.qos > qos) && f.match.matches(channel)) qos = f.qos;
        if (qos === 1) break;
      }
      if (qos === undefined) continue;
      if (c.session.ctx.keyKind !== 'secret' && this.access.isPrivate(c.session.ctx, channel)) continue;
      live ??= readLiveFrame(text) ?? null;
      if (!live) return;
      c.transport.sendMatched(live.frame, qos);
      sent++;
    }
    if (live && sent > 0) this.hub.countDeliveries(appId, 'mqtt', sent, live.time);
  }
}
