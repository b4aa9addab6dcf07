import { LuaScript, RedisKeys, type RedisClient } from '@herald/bus';

// KEYS: the app's slots ZSET, the endpoint's circuit HASH. ARGV: slot token, now, slot lease, app cap,
// probe lease, defer ms. Returns {1, probe} to go (probe = 1: the half-open circuit's one trial), or
// {0, retryAt, why} to wait: why = 'circuit' (open, or half-open with its probe under way) or 'busy'
// (the app has its cap of deliveries in flight). The circuit is looked at first: a delivery that is
// going to wait never takes a slot.
const ENTER = new LuaScript(
  'webhook-enter',
  `
local now = tonumber(ARGV[2])
local openUntil = tonumber(redis.call('HGET', KEYS[2], 'o') or '0')
local probe = 0
if openUntil > 0 then
  if now < openUntil then return {0, openUntil, 'circuit'} end
  local probeUntil = tonumber(redis.call('HGET', KEYS[2], 'p') or '0')
  if probeUntil > now then return {0, math.min(probeUntil, now + tonumber(ARGV[6])), 'circuit'} end
  probe = 1
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return {0, now + tonumber(ARGV[6]), 'busy'} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if probe == 1 then redis.call('HSET', KEYS[2], 'p', now + tonumber(ARGV[5])) end
return {1, probe}
`,
  2,
);

// KEYS: ENTER's. ARGV: slot token, now, ok (1/0), failures to open, cool-down, circuit TTL. Frees the slot
// and records the outcome: a success closes the circuit (and forgets the failures); a failure counts, and
// at the threshold opens (or, after a failed probe, reopens) the circuit for the cool-down.
// Returns 1 when this call opened the circuit, -1 when it closed an open one, else 0.
const LEAVE = new LuaScript(
  'webhook-leave',
  `
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[3] == '1' then
  local wasOpen = redis.call('HEXISTS', KEYS[2], 'o')
  redis.call('DEL', KEYS[2])
  if wasOpen == 1 then return -1 end
  return 0
end
local f = redis.call('HINCRBY', KEYS[2], 'f', 1)
redis.call('HDEL', KEYS[2], 'p')
redis.call('PEXPIRE', KEYS[2], ARGV[6])
if f >= tonumber(ARGV[4]) then
  local opened = redis.call('HEXISTS', KEYS[2], 'o')
  redis.call('HSET', KEYS[2], 'o', tonumber(ARGV[2]) + tonumber(ARGV[5]))
  if opened == 0 then return 1 end
end
return 0
`,
  2,
);

export interface DeliveryGatePolicy {
  /** Deliveries of one app in flight at once, over every worker. */
  appConcurrency: number;
  /** How long a slot is held at most (a killed worker's slots lapse after it). */
  slotLeaseMs: number;
  deferMs: number;
  circuitFailures: number;
  circuitCooldownMs: number;
}

export type GateAnswer = { go: true; probe: boolean } | { go: false; retryAt: number; why: 'circuit' | 'busy' };

/** How long an endpoint's failure count is remembered without a new failure. */
const CIRCUIT_TTL_MS = 24 * 3_600_000;

/** Which keys a gate uses: an app's slots, and the circuit of one of its targets. */
export interface GateKeys {
  slots(appId: string): string;
  circuit(appId: string, target: string): string;
}

/** Webhook deliveries: circuits per endpoint (webhook id). */
export const webhookGateKeys = (keys: RedisKeys): GateKeys => ({ slots: (a) => keys.webhookSlots(a), circuit: (a, t) => keys.webhookCircuit(a, t) });

/**
 * Fair share and circuit breaking for webhook (and push) deliveries, in Redis so every worker applies one limit:
 * an app has at most `appConcurrency` deliveries in flight, and an endpoint that keeps failing is not
 * sent to during its cool-down (its deliveries wait, they are not dropped). Keys are per app
 * (`wh-slots:<app>`) and per app and endpoint (`wh-circuit:<app>:<webhook>`).
 */
export class DeliveryGate {
  private readonly keys: GateKeys;

  /** `keys`: RedisKeys for webhook deliveries, or the key scheme of another kind of delivery (push). */
  constructor(
    private readonly redis: RedisClient,
    keys: RedisKeys | GateKeys,
    private readonly policy: DeliveryGatePolicy,
  ) {
    this.keys = keys instanceof RedisKeys ? webhookGateKeys(keys) : keys;
  }

  async enter(appId: string, webhookId: string, token: string, now = Date.now()): Promise<GateAnswer> {
    const p = this.policy;
    const r = await ENTER.run<[number, number, string?]>(this.redis, [this.keys.slots(appId), this.keys.circuit(appId, webhookId)], [
      token,
      now,
      p.slotLeaseMs,
      p.appConcurrency,
      p.slotLeaseMs,
      p.deferMs,
    ]);
    if (r[0] === 1) return { go: true, probe: r[1] === 1 };
    return { go: false, retryAt: r[1], why: r[2] === 'busy' ? 'busy' : 'circuit' };
  }

  /** Returns 'opened' or 'closed' when this outcome changed the endpoint's circuit. */
  async leave(appId: string, webhookId: string, token: string, ok: boolean, now = Date.now()): Promise<'opened' | 'closed' | undefined> {
    const p = this.policy;
    const r = await LEAVE.run<number>(this.redis, [this.keys.slots(appId), this.keys.circuit(appId, webhookId)], [
      token,
      now,
      ok ? 1 : 0,
      p.circuitFailures,
      p.circuitCooldownMs,
      CIRCUIT_TTL_MS,
    ]);
    return r === 1 ? 'opened' : r === -1 ? 'closed' : undefined;
  }
}
