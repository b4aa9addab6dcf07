import type { RedisClient } from '../redis.js';
import { HeraldError } from '@herald/protocol';
import { RedisKeys } from '../redis-keys.js';
import { LuaScript } from '../lua-script.js';

// KEYS: one counter. ARGV: window ms, max. Counts one attempt in a fixed window that starts with the
// first; returns {count, ms left in the window}. An attempt over the max is counted too (a flood stays refused).
const HIT = new LuaScript(
  'attempt-hit',
  `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`,
  1,
);

export interface AttemptLimit {
  max: number;
  windowMs: number;
}

const refused = (what: string, limit: AttemptLimit, ttlMs: number) =>
  new HeraldError('rate_limited', `Too many ${what}: at most ${limit.max} per ${Math.round(limit.windowMs / 1000)} s`, Math.max(1, Math.ceil(ttlMs / 1000)));

/**
 * Fixed-window counters of management-plane attempts (log-ins, sign-ups) in Redis, so every API process
 * enforces the same numbers. Keyed by a digest of the account's email or by the client address, never
 * by an app: these run before any tenant is known.
 */
export class AttemptLimits {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** Counts an attempt from a client address; 429 `rate_limited` with Retry-After once over the max. */
  async hitAddress(kind: 'login' | 'signup', address: string, limit: AttemptLimit): Promise<void> {
    const [n, ttl] = await HIT.run<[number, number]>(this.redis, [this.keys.attemptsByAddress(kind, address)], [limit.windowMs, limit.max]);
    if (n > limit.max) throw refused(kind === 'login' ? 'log-in attempts from this address' : 'sign-ups from this address', limit, ttl);
  }

  /** Refuses a log-in before any hash once the account had `max` failures in the window. */
  async assertAccountOpen(accountDigest: string, limit: AttemptLimit): Promise<void> {
    const key = this.keys.loginFailures(accountDigest);
    const [count, ttl] = await this.redis.multi().get(key).pttl(key).exec().then((r) => [Number(r?.[0]?.[1] ?? 0), Number(r?.[1]?.[1] ?? 0)]);
    if (count >= limit.max) throw refused('failed log-ins for this account', limit, ttl);
  }

  async countFailure(accountDigest: string, limit: AttemptLimit): Promise<void> {
    await HIT.run(this.redis, [this.keys.loginFailures(accountDigest)], [limit.windowMs, limit.max]);
  }

  /** A successful log-in forgets the account's failures. */
  async clearFailures(accountDigest: string): Promise<void> {
    await this.redis.del(this.keys.loginFailures(accountDigest));
  }
}
