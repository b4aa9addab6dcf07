import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { RedisClient } from '../redis.js';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { RedisKeys } from '../redis-keys.js';
import { EVENTS_MAXLEN } from '../streams/events-stream.js';
import { hashOf, sendAll, valuesOf, type Command } from '../commands.js';
import { splitMember } from '../channel/channel-log.js';
import { REDIS } from '../redis-token.js';
import { OCCUPANCY } from './occupancy-scripts.js';

/*
 * Whether a channel has subscribers anywhere, derived in Redis from the gateways that hold it: a
 * per-channel ZSET of gatewayId → lease expiry. The first holder (0 → 1) appends channel.occupied to
 * the events stream, the last release or lapse (1 → 0) appends channel.vacated — inside one script, so
 * two gateways flipping at the same moment produce one event between them. A gateway that dies stops
 * renewing; its lease lapses and whoever touches the channel next (another gateway, or the worker's
 * sweep) finds the lapse and announces the vacancy once.
 */

type Op = 'hold' | 'release' | 'sweep';

/** A channel some gateway holds, with the subscribers the holders last reported. */
export interface OccupiedChannel {
  channel: string;
  subscribers: number;
}

/** Local subscriber counts reach Redis at most this long after they change (one pipeline). */
const COUNT_FLUSH_MS = 250;

/**
 * This process's share of channel occupancy. The gateway's channel hub calls `hold` when its first local
 * subscriber of a channel arrives and `release` when its last leaves; leases of held channels are renewed
 * here every lease/3 (one pipeline), so nothing else in the gateway has to know. A release takes effect
 * after HERALD_OCCUPANCY_LINGER_MS unless the channel is held again meanwhile: a long-poll client that
 * re-polls, or a page reload, does not flap occupied/vacated.
 */
@Injectable()
export class ChannelOccupancy implements OnModuleInit, OnApplicationShutdown {
  readonly gatewayId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly held = new Map<string, { appId: string; channel: string }>();
  /** Serialises the calls of one channel so hold/release reach Redis in the order they were made. */
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly releasing = new Map<string, NodeJS.Timeout>();
  /** Local subscribers per held channel, and the channels whose count Redis has not seen yet. */
  private readonly counts = new Map<string, { appId: string; channel: string; n: number }>();
  private readonly dirty = new Set<string>();
  private countTimer?: NodeJS.Timeout;
  private timer?: NodeJS.Timeout;
  private readonly logger;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'bus').child({ component: 'occupancy' });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.config.occupancyLeaseMs / 3)));
    this.timer.unref();
  }

  /** Pending releases go out now (a drained gateway's channels are vacated at once, not at lease expiry). */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    for (const [m, t] of this.releasing) {
      clearTimeout(t);
      this.releaseNow(m);
    }
    clearTimeout(this.countTimer);
    await this.flushCounts();
    await this.settled();
  }

  /** Never throws: a failed call is logged and healed by the lease (renewal re-holds, the sweep vacates). */
  hold(appId: string, channel: string): void {
    const m = this.keys.member(appId, channel);
    const pending = this.releasing.get(m);
    this.held.set(m, { appId, channel });
    if (pending) {
      clearTimeout(pending); // still held in RedisClient: nothing to tell anyone
      this.releasing.delete(m);
      return;
    }
    void this.chain(m, () => this.run('hold', appId, channel));
  }

  release(appId: string, channel: string): void {
    const m = this.keys.member(appId, channel);
    if (!this.held.has(m) || this.releasing.has(m)) return;
    if (this.config.occupancyLingerMs === 0) return this.releaseNow(m);
    this.releasing.set(m, setTimeout(() => this.releaseNow(m), this.config.occupancyLingerMs).unref());
  }

  /**
   * This gateway's local subscriber count of a channel (the hub calls it on every change). Written to
   * Redis within COUNT_FLUSH_MS, coalesced: only the dashboard reads it, nothing is decided on it.
   */
  count(appId: string, channel: string, n: number): void {
    const m = this.keys.member(appId, channel);
    this.counts.set(m, { appId, channel, n });
    this.dirty.add(m);
    this.countTimer ??= setTimeout(() => void this.flushCounts(), COUNT_FLUSH_MS).unref();
  }

  private async flushCounts(): Promise<void> {
    this.countTimer = undefined;
    if (this.dirty.size === 0) return;
    const commands: Command[] = [];
    for (const m of this.dirty) {
      const c = this.counts.get(m);
      if (!c) continue;
      const key = this.keys.channel(c.appId, c.channel).subscribers;
      if (c.n > 0) commands.push(['hset', key, this.gatewayId, c.n], ['pexpire', key, 2 * this.config.occupancyLeaseMs]);
      else {
        commands.push(['hdel', key, this.gatewayId]);
        this.counts.delete(m);
      }
    }
    this.dirty.clear();
    try {
      await sendAll(this.redis, commands);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'subscriber count update failed');
    }
  }

  /**
   * Up to `limit` channels of one app that a live gateway holds, with their subscriber counts (the sum
   * of the live holders' reports). Reads the app's own index: cost grows with its channels, not everyone's.
   */
  async occupied(appId: string, limit = 100, now = Date.now()): Promise<{ total: number; channels: OccupiedChannel[] }> {
    const index = this.keys.occupiedChannels(appId);
    const [[, total], [, names]] = ((await this.redis.multi().zcard(index).zrange(index, '0', String(limit - 1)).exec()) ?? []) as [[unknown, number], [unknown, string[]]];
    if (names.length === 0) return { total: 0, channels: [] };
    const counts = await this.holderCounts(appId, names, now);
    const channels: OccupiedChannel[] = [];
    names.forEach((channel, i) => {
      const subscribers = counts[i];
      if (subscribers !== undefined) channels.push({ channel, subscribers });
    });
    return { total, channels };
  }

  /** Subscriber counts of channels of one app (the sum of their live holders' reports), in the order given. */
  async subscriberCounts(appId: string, channels: readonly string[], now = Date.now()): Promise<number[]> {
    return (await this.holderCounts(appId, channels, now)).map((n) => n ?? 0);
  }

  /** Per channel: the sum of its live holders' reported counts, or undefined when no live gateway holds it. */
  private async holderCounts(appId: string, channels: readonly string[], now: number): Promise<Array<number | undefined>> {
    if (channels.length === 0) return [];
    const commands: Command[] = [];
    for (const channel of channels) {
      const k = this.keys.channel(appId, channel);
      commands.push(['zrangebyscore', k.occupancy, now + 1, '+inf'], ['hgetall', k.subscribers]);
    }
    const res = await sendAll(this.redis, commands);
    return channels.map((_, i) => {
      const holders = (res[i * 2]?.[1] ?? []) as string[];
      const reported = hashOf(res[i * 2 + 1]?.[1]);
      return holders.length === 0 ? undefined : holders.reduce((sum, gw) => sum + Number(reported[gw] ?? 0), 0);
    });
  }

  /** Channels of one app with their subscriber counts, or undefined for one no live gateway holds, in the order given. */
  async occupiedCounts(appId: string, channels: readonly string[], now = Date.now()): Promise<Array<OccupiedChannel | undefined>> {
    return (await this.holderCounts(appId, channels, now)).map((subscribers, i) => (subscribers === undefined ? undefined : { channel: channels[i], subscribers }));
  }

  /**
   * Up to `limit` of an app's channels whose names start with `prefix` that a live gateway holds (a
   * scan of the app's own index, whose members are channel names: the alphabet has no glob character).
   */
  async occupiedWithPrefix(appId: string, prefix: string, limit: number, now = Date.now()): Promise<OccupiedChannel[]> {
    const names = new Set<string>();
    let cursor = '0';
    do {
      const [next, page] = await this.redis.zscan(this.keys.occupiedChannels(appId), cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      for (let i = 0; i < page.length && names.size < limit; i += 2) names.add(page[i]);
    } while (cursor !== '0' && names.size < limit);
    return (await this.occupiedCounts(appId, [...names], now)).filter((c): c is OccupiedChannel => c !== undefined);
  }

  private releaseNow(m: string): void {
    const e = this.held.get(m);
    this.releasing.delete(m);
    if (!e) return;
    this.held.delete(m);
    void this.chain(m, () => this.run('release', e.appId, e.channel));
  }

  /** Awaits every call made so far (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }

  /**
   * Finds channels whose holders' leases lapsed and announces their vacancy (worker sweep): up to
   * `limit` due channels of each shard of the index, and of the previous version's unsharded index
   * (whose entries move to their shard on the way).
   */
  async sweep(now = Date.now(), limit = 100): Promise<number> {
    const legacy = this.keys.legacy('occupied-channels');
    const indexes = [...this.keys.allShards('occupied-channels'), legacy];
    const due = valuesOf(await sendAll(this.redis, indexes.map((k): Command => ['zrangebyscore', k, '-inf', now, 'LIMIT', 0, limit]))) as string[][];
    let events = 0;
    for (const [i, members] of due.entries()) {
      for (const m of members) {
        const { appId, channel } = splitMember(m);
        events += (await this.run('sweep', appId, channel, now))[1];
        if (indexes[i] === legacy) await this.redis.zrem(legacy, m);
      }
    }
    return events;
  }

  /** true while some gateway holds the channel. */
  async isOccupied(appId: string, channel: string, now = Date.now()): Promise<boolean> {
    return (await this.redis.zcount(this.keys.channel(appId, channel).occupancy, now + 1, '+inf')) > 0;
  }

  private chain(member: string, fn: () => Promise<unknown>): Promise<unknown> {
    const next = (this.tails.get(member) ?? Promise.resolve())
      .then(fn)
      .catch((e: Error) => this.logger.warn({ err: e.message }, 'occupancy update failed'));
    this.tails.set(member, next);
    void next.then(() => {
      if (this.tails.get(member) === next) this.tails.delete(member);
    });
    return next;
  }

  /**
   * The occupancy script on the channel's slot, then its second step on other slots: its events onto the
   * events feed (the channel's shard) and the channel into or out of the occupancy index (its shard) and
   * the app's occupied set (the app's slot). A crash between the two loses those writes; a holder's
   * renewal puts a missing index entry back (renew), so only the events are at stake.
   */
  private async run(op: Op, appId: string, channel: string, now = Date.now()): Promise<[number, number]> {
    const [occupied, first, ...events] = await OCCUPANCY.run<[number, string, ...string[]]>(
      this.redis,
      [this.keys.channel(appId, channel).occupancy],
      [op, this.gatewayId, now, now + this.config.occupancyLeaseMs],
    );
    const member = this.keys.member(appId, channel);
    const feed = this.keys.events(appId, channel);
    const commands: Command[] = events.map((kind): Command => ['xadd', feed, 'MAXLEN', '~', EVENTS_MAXLEN, '*', 'k', member, 'e', kind, 't', now]);
    const index = this.keys.occupancyIndex(appId, channel);
    const ofApp = this.keys.occupiedChannels(appId);
    if (first !== '') commands.push(['zadd', index, first, member], ['zadd', ofApp, first, channel]);
    else commands.push(['zrem', index, member], ['zrem', ofApp, channel]);
    valuesOf(await sendAll(this.redis, commands));
    return [occupied, events.length];
  }

  /** Extends this gateway's leases; a channel swept meanwhile (a long stall) is held again. */
  private async renew(now = Date.now()): Promise<void> {
    if (this.held.size === 0) return;
    const entries = [...this.held.entries()];
    const expiry = now + this.config.occupancyLeaseMs;
    try {
      const commands: Command[] = [];
      for (const [, e] of entries) {
        const occupancy = this.keys.channel(e.appId, e.channel).occupancy;
        commands.push(['zadd', occupancy, 'XX', 'GT', 'CH', expiry, this.gatewayId], ['zscore', occupancy, this.gatewayId]);
      }
      // Index entries a racing release removed come back (NX: an entry's earlier score is kept).
      for (const [m, e] of entries) commands.push(['zadd', this.keys.occupancyIndex(e.appId, e.channel), 'NX', expiry, m], ['zadd', this.keys.occupiedChannels(e.appId), 'NX', expiry, e.channel]);
      for (const c of this.counts.values()) if (c.n > 0) commands.push(['pexpire', this.keys.channel(c.appId, c.channel).subscribers, 2 * this.config.occupancyLeaseMs]);
      const res = await sendAll(this.redis, commands);
      entries.forEach(([m, e], i) => {
        if (res[i * 2 + 1]?.[1] === null && this.held.has(m)) void this.chain(m, () => this.run('hold', e.appId, e.channel));
      });
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'occupancy lease renewal failed');
    }
  }
}
