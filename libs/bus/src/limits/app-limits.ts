import type { RedisClient } from '../redis.js';
import { HeraldError } from '@herald/protocol';
import { RedisKeys } from '../redis-keys.js';
import { hashOf, sendAll, valuesOf, type Command } from '../commands.js';
import { ADMIT, ADMIT_MANY, CHARGE } from './limit-scripts.js';
import { DAY_TTL_S, LIVE_TTL_S, chargeRefusal, minuteOf, utcDay, type PublishRefused, type LiveRates, type MinuteUsage, type PlanCaps, type Usage } from './plan-usage.js';
import { MinuteIndex } from './minute-index.js';

export { PublishRefused, chargeRefusal, utcDay, type LiveRates, type MinuteUsage, type PlanCaps, type Usage } from './plan-usage.js';

/** Connections admitted by one ADMIT_MANY call at most (the script blocks Redis while it runs). */
const ADMIT_BATCH = 1000;

/** A publish charge's script inputs (CHARGE_FUNCTIONS): the app's counters, the count and the plan's caps. */
export interface PublishCharge {
  /** Rate, day usage, minute usage, live second (the app's slot). */
  keys: string[];
  /** Count, max per second, max per day (-1: none), day TTL, live TTL. */
  args: number[];
  /** The 429 of a refusal code (-1 rate, -2 quota). */
  refusal(code: number): PublishRefused;
}

interface AdmitWaiter {
  connId: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface AdmitBatch {
  appId: string;
  caps: PlanCaps;
  leaseMs: number;
  waiters: AdmitWaiter[];
}

/**
 * Plan limits kept in Redis, so every gateway and API process enforces the same numbers (a per-process
 * counter would let N processes admit N times the limit). Connections are leases renewed by their
 * gateway: a gateway that dies frees its slots within the lease.
 */
export class AppLimits {
  private readonly minutes: MinuteIndex;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.minutes = new MinuteIndex(redis, keys);
  }

  private admitting = new Map<string, AdmitBatch>();

  /**
   * Takes a connection slot. The admissions asked for in one turn of the event loop (a reconnect storm
   * hands a gateway hundreds per turn) go to Redis together, per app, in one ADMIT_MANY call.
   */
  admitConnection(appId: string, connId: string, caps: PlanCaps, leaseMs: number): Promise<void> {
    const key = `${appId}|${caps.maxConnections}|${leaseMs}`;
    let batch = this.admitting.get(key);
    if (!batch) {
      if (this.admitting.size === 0) setImmediate(() => this.flushAdmissions());
      batch = { appId, caps, leaseMs, waiters: [] };
      this.admitting.set(key, batch);
    }
    const waiters = batch.waiters;
    return new Promise((resolve, reject) => waiters.push({ connId, resolve, reject }));
  }

  private flushAdmissions(): void {
    const batches = [...this.admitting.values()];
    this.admitting.clear();
    const now = Date.now();
    for (const b of batches) {
      for (let i = 0; i < b.waiters.length; i += ADMIT_BATCH) {
        const part = b.waiters.slice(i, i + ADMIT_BATCH);
        this.admitMany(b.appId, part.map((w) => w.connId), b.caps, b.leaseMs, now).then(
          (ok) => {
            for (let j = 0; j < part.length; j++) {
              if (ok[j] === 1) part[j].resolve();
              else part[j].reject(new HeraldError('too_many_connections', `At most ${b.caps.maxConnections} concurrent connections on this plan`, Math.ceil(b.leaseMs / 3000)));
            }
          },
          (e: Error) => {
            for (const w of part) w.reject(e);
          },
        );
      }
    }
  }

  /** Admits connections in order until the cap: 1 or 0 per connection. */
  async admitMany(appId: string, connIds: string[], caps: PlanCaps, leaseMs: number, now = Date.now()): Promise<number[]> {
    const minute = minuteOf(now);
    await this.minutes.ensure(appId, minute);
    return ADMIT_MANY.run<number[]>(this.redis, [this.keys.connections(appId), this.keys.usageMinute(appId, minute)], [now, leaseMs, caps.maxConnections, ...connIds]);
  }

  /** One connection, one round trip of its own (no batching): tests and tools with a fixed clock. */
  async admitConnectionNow(appId: string, connId: string, caps: PlanCaps, leaseMs: number, now = Date.now()): Promise<void> {
    const minute = minuteOf(now);
    await this.minutes.ensure(appId, minute);
    const ok = await ADMIT.run<number>(this.redis, [this.keys.connections(appId), this.keys.usageMinute(appId, minute)], [connId, now, leaseMs, caps.maxConnections]);
    if (ok !== 1) throw new HeraldError('too_many_connections', `At most ${caps.maxConnections} concurrent connections on this plan`, Math.ceil(leaseMs / 3000));
  }

  async releaseConnection(appId: string, connId: string): Promise<void> {
    await this.redis.zrem(this.keys.connections(appId), connId);
  }

  /** One pipelined round trip (per node) for every live connection of a gateway. */
  async renewConnections(entries: ReadonlyArray<{ appId: string; connId: string }>, leaseMs: number, now = Date.now()): Promise<void> {
    if (entries.length === 0) return;
    // One ZADD per app and 500 connections (not one per connection): 10,000 connections are 20 commands.
    const byApp = new Map<string, Array<string | number>>();
    const expiry = now + leaseMs;
    for (const e of entries) {
      let args = byApp.get(e.appId);
      if (!args) byApp.set(e.appId, (args = []));
      args.push(expiry, e.connId);
    }
    const commands: Command[] = [];
    for (const [appId, args] of byApp) {
      const key = this.keys.connections(appId);
      for (let i = 0; i < args.length; i += 1000) commands.push(['zadd', key, 'XX', ...args.slice(i, i + 1000)]);
      commands.push(['pexpire', key, leaseMs]);
    }
    await sendAll(this.redis, commands);
  }

  /**
   * Counts publishes against the per-second rate and the daily quota; refuses with 429 and Retry-After
   * when either is exceeded. Only accepted publishes are billed: the caller refunds (`refundPublish`) what
   * it charged and then failed to store. On one Redis the accept charges in its own script instead
   * (`publishCharge`, ChannelLog.acceptMany), with nothing to refund.
   */
  async chargePublish(appId: string, caps: PlanCaps, now = Date.now(), count = 1): Promise<void> {
    const charge = await this.publishCharge(appId, caps, now, count);
    const code = await CHARGE.run<number>(this.redis, charge.keys, charge.args);
    if (code < 0) throw charge.refusal(code);
  }

  /** The charge of `count` publishes at `now`, ready for a script to run (CHARGE, or ACCEPT on one Redis). */
  async publishCharge(appId: string, caps: PlanCaps, now: number, count: number): Promise<PublishCharge> {
    const minute = minuteOf(now);
    const second = Math.floor(now / 1000);
    await this.minutes.ensure(appId, minute);
    return {
      keys: [this.keys.publishRate(appId, second), this.keys.dailyUsage(appId, utcDay(now)), this.keys.usageMinute(appId, minute), this.keys.liveSecond(appId, second)],
      args: [count, caps.maxPublishesPerSecond, caps.maxMessagesPerDay ?? -1, DAY_TTL_S, LIVE_TTL_S],
      refusal: (code) => chargeRefusal(code, caps, now),
    };
  }

  /**
   * Gives back the usage of publishes charged at `now` that were then not stored (their accept failed):
   * the day's quota, the minute roll-up and the live rate. The per-second rate keeps them, as it keeps
   * refused publishes. One transaction on the app's slot.
   */
  async refundPublish(appId: string, now: number, count: number): Promise<void> {
    if (count <= 0) return;
    const second = Math.floor(now / 1000);
    await this.redis
      .multi()
      .decrby(this.keys.dailyUsage(appId, utcDay(now)), count)
      .hincrby(this.keys.usageMinute(appId, minuteOf(now)), 'p', -count)
      .hincrby(this.keys.liveSecond(appId, second), 'p', -count)
      .exec();
  }

  /** Deliveries count toward the daily quota too (GoEasy bills 1 per publish plus 1 per delivery). */
  async chargeDeliveries(counts: ReadonlyMap<string, number>, now = Date.now()): Promise<void> {
    if (counts.size === 0) return;
    const day = utcDay(now);
    await Promise.all([...counts.keys()].map((appId) => this.minutes.ensure(appId, minuteOf(now))));
    const commands: Command[] = [];
    for (const [appId, n] of counts) {
      commands.push(['incrby', this.keys.dailyUsage(appId, day), n], ['expire', this.keys.dailyUsage(appId, day), DAY_TTL_S]);
      this.countMinute(commands, appId, 'd', n, now);
    }
    await sendAll(this.redis, commands);
  }

  /** Webhook HTTP attempts (billing and the dashboard; they do not count against the message quota). */
  async countWebhookAttempts(counts: ReadonlyMap<string, number>, now = Date.now()): Promise<void> {
    if (counts.size === 0) return;
    await Promise.all([...counts.keys()].map((appId) => this.minutes.ensure(appId, minuteOf(now))));
    const commands: Command[] = [];
    for (const [appId, n] of counts) this.countMinute(commands, appId, 'w', n, now);
    await sendAll(this.redis, commands);
  }

  /**
   * The minute counters not yet finished by the roll-up, up to `limit` of them, oldest first: from every
   * shard of the usage index, and from the previous version's unsharded index while it has any.
   */
  async pendingMinutes(limit = 1000): Promise<MinuteUsage[]> {
    const indexes = [...this.keys.allShards('usage-minutes'), this.keys.legacy('usage-minutes')];
    const pages = valuesOf(await sendAll(this.redis, indexes.map((k): Command => ['zrange', k, 0, limit - 1]))) as string[][];
    const found = new Map<string, { appId: string; minute: number }>();
    for (const page of pages) {
      for (const m of page) {
        const bar = m.lastIndexOf('|');
        found.set(m, { appId: m.slice(0, bar), minute: Number(m.slice(bar + 1)) });
      }
    }
    const parsed = [...found.values()].sort((a, b) => a.minute - b.minute).slice(0, limit);
    if (parsed.length === 0) return [];
    const res = await sendAll(this.redis, parsed.map((e): Command => ['hgetall', this.keys.usageMinute(e.appId, e.minute)]));
    return parsed.map((e, i) => {
      const h = hashOf(res[i]?.[1]);
      return { ...e, publishes: Number(h.p ?? 0), deliveries: Number(h.d ?? 0), webhookAttempts: Number(h.w ?? 0), peakConnections: Number(h.c ?? 0) };
    });
  }

  /** Drops minutes the roll-up stored for good (closed long enough for late counts to have landed). */
  async forgetMinutes(entries: ReadonlyArray<{ appId: string; minute: number }>): Promise<void> {
    if (entries.length === 0) return;
    const legacy = this.keys.legacy('usage-minutes');
    const commands: Command[] = [];
    for (const e of entries) {
      const member = `${e.appId}|${e.minute}`;
      commands.push(['zrem', this.keys.usageIndex(e.appId), member], ['zrem', legacy, member], ['del', this.keys.usageMinute(e.appId, e.minute)]);
    }
    valuesOf(await sendAll(this.redis, commands));
  }

  /** Adds a minute counter's commands (its minute is indexed already: MinuteIndex). */
  private countMinute(commands: Command[], appId: string, field: 'p' | 'd' | 'w', n: number, now: number): void {
    const key = this.keys.usageMinute(appId, minuteOf(now));
    commands.push(['hincrby', key, field, n], ['expire', key, DAY_TTL_S]);
    if (field !== 'w') {
      const live = this.keys.liveSecond(appId, Math.floor(now / 1000));
      commands.push(['hincrby', live, field, n], ['expire', live, LIVE_TTL_S]);
    }
  }

  /**
   * Accepted publishes and deliveries per second, averaged over the last `seconds` complete seconds
   * (deliveries are counted when a gateway flushes them, once a second): the dashboard's live chart.
   */
  async liveRates(appId: string, seconds = 5, now = Date.now()): Promise<LiveRates> {
    const n = Math.max(1, Math.min(seconds, LIVE_TTL_S - 1));
    const current = Math.floor(now / 1000);
    const commands: Command[] = [];
    for (let s = current - n; s < current; s++) commands.push(['hmget', this.keys.liveSecond(appId, s), 'p', 'd']);
    const res = await sendAll(this.redis, commands);
    let publishes = 0;
    let deliveries = 0;
    for (const [err, v] of res) {
      if (err) throw err;
      const [pub, del] = v as Array<string | null>;
      publishes += Number(pub ?? 0);
      deliveries += Number(del ?? 0);
    }
    return { publishesPerSecond: publishes / n, deliveriesPerSecond: deliveries / n, windowSeconds: n };
  }

  async usage(appId: string, now = Date.now()): Promise<Usage> {
    const res = await this.redis
      .multi()
      .zcount(this.keys.connections(appId), now, '+inf')
      .get(this.keys.publishRate(appId, Math.floor(now / 1000)))
      .get(this.keys.dailyUsage(appId, utcDay(now)))
      .exec();
    return {
      connections: Number(res?.[0]?.[1] ?? 0),
      publishesThisSecond: Number(res?.[1]?.[1] ?? 0),
      messagesToday: Number(res?.[2]?.[1] ?? 0),
    };
  }
}

