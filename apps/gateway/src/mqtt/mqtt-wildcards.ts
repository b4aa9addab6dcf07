import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
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
 * an app pattern-subscribes (PSUBSCRIBE) to that app's fan-out channels — `<prefix>fan:<appId>|*`, so
 * never another app's — on a Redis connection of its own, and matches each frame's channel against its
 * connections' filters in process. A channel the connection also subscribes to by name is delivered
 * there (with its positions) and not again here; among several matching filters a message goes out once,
 * at the highest QoS granted. Private channels are matched only for connections holding the app secret
 * (an access token is for one named channel). Deliveries are live: no history replay, no positions.
 * On a Redis Cluster the fan-out is sharded (SPUBLISH), which has no pattern form: wildcard filters are
 * refused there (SUBACK 0xA2 / 0x80; CONNACK says so) rather than left silent (docs/mqtt.md).
 */
@Injectable()
export class MqttWildcards implements OnApplicationShutdown {
  /** Connections with wildcard filters, by app. */
  private readonly byApp = new Map<string, Set<Connected>>();
  /** The pattern subscription of each app, confirmed once its promise resolves. */
  private readonly patterns = new Map<string, Promise<unknown>>();
  private subscriber?: RedisClient;
  private readonly fanPrefix: string;
  private readonly logger;
  /** false on a Redis Cluster (see above). */
  readonly available: boolean;

  constructor(
    private readonly keys: RedisKeys,
    private readonly hub: ChannelHub,
    private readonly access: AccessTokens,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.fanPrefix = keys.fanoutPrefix;
    this.available = !keys.cluster;
    this.logger = createLogger(config, 'gateway').child({ component: 'mqtt' });
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  /**
   * The app's pattern subscription, live before a resumed session's CONNACK: its filters are then
   * registered synchronously after it, so nothing published once the client has its CONNACK is missed.
   */
  prepare(appId: string): Promise<unknown> {
    return this.pattern(appId);
  }

  /**
   * Adds (or replaces the QoS of) a filter; resolves once the app's pattern subscription is live. The
   * filter is registered before the first await: with a prepared pattern it matches from this call on.
   */
  async add(c: Connected, filter: string, qos: 0 | 1): Promise<void> {
    if (!this.available) throw new HeraldError('invalid_request', 'Wildcard subscriptions are not available on a Redis Cluster deployment');
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
      await this.pattern(appId);
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
    this.patterns.delete(appId);
    this.subscriber?.punsubscribe(this.patternOf(appId)).catch((e: Error) => this.logger.warn({ err: e.message }, 'punsubscribe failed'));
  }

  private patternOf(appId: string): string {
    return `${escapeGlob(this.fanPrefix)}${appId}|*`;
  }

  private pattern(appId: string): Promise<unknown> {
    let ready = this.patterns.get(appId);
    if (ready) return ready;
    ready = this.connection()
      .psubscribe(this.patternOf(appId))
      .catch((e: unknown) => {
        this.patterns.delete(appId);
        throw new HeraldError('unavailable', `wildcard subscriptions unavailable: ${(e as Error).message}`);
      });
    this.patterns.set(appId, ready);
    return ready;
  }

  private connection(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const subscriber = createRedis(this.config, 'subscriber', 'gateway-mqtt-wildcards');
    subscriber.on('pmessage', (_pattern: string, redisChannel: string, text: string) => this.onFrame(redisChannel, text));
    this.subscriber = subscriber;
    return subscriber;
  }

  private onFrame(redisChannel: string, text: string): void {
    if (text.startsWith(PRESENCE_PREFIX)) return;
    const rest = redisChannel.slice(this.fanPrefix.length);
    const bar = rest.indexOf('|');
    const appId = rest.slice(0, bar);
    const channel = rest.slice(bar + 1);
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
