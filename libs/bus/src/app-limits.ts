import type { Redis } from 'ioredis';
import { HeraldError } from '@herald/protocol';
import { RedisKeys } from './redis-keys.js';
import { LuaScript } from './lua-script.js';

// KEYS: connections ZSET. ARGV: connId, now, leaseMs, max. Returns 1 admitted, 0 refused.
const ADMIT = new LuaScript(
  'admit',
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`,
  1,
);

export interface PlanCaps {
  maxConnections: number;
  maxPublishesPerSecond: number;
  maxMessagesPerDay: number | null;
}

export interface Usage {
  connections: number;
  publishesThisSecond: number;
  messagesToday: number;
}

const DAY_TTL_S = 3 * 86_400;

export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
}

/**
 * Plan limits kept in Redis, so every gateway and API process enforces the same numbers (a per-process
 * counter would let N processes admit N times the limit). Connections are leases renewed by their
 * gateway: a gateway that dies frees its slots within the lease.
 */
export class AppLimits {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async admitConnection(appId: string, connId: string, caps: PlanCaps, leaseMs: number, now = Date.now()): Promise<void> {
    const ok = await ADMIT.run<number>(this.redis, [this.keys.connections(appId)], [connId, now, leaseMs, caps.maxConnections]);
    if (ok !== 1) throw new HeraldError('too_many_connections', `At most ${caps.maxConnections} concurrent connections on this plan`, Math.ceil(leaseMs / 3000));
  }

  async releaseConnection(appId: string, connId: string): Promise<void> {
    await this.redis.zrem(this.keys.connections(appId), connId);
  }

  /** One pipelined round trip for every live connection of a gateway. */
  async renewConnections(entries: ReadonlyArray<{ appId: string; connId: string }>, leaseMs: number, now = Date.now()): Promise<void> {
    if (entries.length === 0) return;
    const p = this.redis.pipeline();
    for (const e of entries) p.zadd(this.keys.connections(e.appId), 'XX', now + leaseMs, e.connId);
    for (const appId of new Set(entries.map((e) => e.appId))) p.pexpire(this.keys.connections(appId), leaseMs);
    await p.exec();
  }

  /**
   * Counts a publish against the per-second rate and the daily quota; refuses with 429 and Retry-After
   * when either is exceeded. The count stays even when refused, so a flood stays refused.
   */
  async chargePublish(appId: string, caps: PlanCaps, now = Date.now()): Promise<void> {
    const second = Math.floor(now / 1000);
    const day = utcDay(now);
    const rate = this.keys.publishRate(appId, second);
    const usage = this.keys.dailyUsage(appId, day);
    const res = await this.redis.multi().incr(rate).expire(rate, 2).incr(usage).expire(usage, DAY_TTL_S).exec();
    const perSecond = Number(res?.[0]?.[1] ?? 0);
    const today = Number(res?.[2]?.[1] ?? 0);
    if (perSecond > caps.maxPublishesPerSecond) {
      throw new HeraldError('rate_limited', `At most ${caps.maxPublishesPerSecond} publishes per second on this plan`, 1);
    }
    if (caps.maxMessagesPerDay !== null && today > caps.maxMessagesPerDay) {
      const secondsToMidnight = 86_400 - Math.floor((now % 86_400_000) / 1000);
      throw new HeraldError('quota_exceeded', `At most ${caps.maxMessagesPerDay} messages per day on this plan`, secondsToMidnight);
    }
  }

  /** Deliveries count toward the daily quota too (GoEasy bills 1 per publish plus 1 per delivery). */
  async chargeDeliveries(counts: ReadonlyMap<string, number>, now = Date.now()): Promise<void> {
    if (counts.size === 0) return;
    const day = utcDay(now);
    const p = this.redis.pipeline();
    for (const [appId, n] of counts) p.incrby(this.keys.dailyUsage(appId, day), n).expire(this.keys.dailyUsage(appId, day), DAY_TTL_S);
    await p.exec();
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
