import { LuaScript } from '../lua-script.js';

/*
 * The Lua scripts of AppLimits: a connection slot (ADMIT, ADMIT_MANY) and a publish's charge (CHARGE).
 * Each touches one app's keys only (one slot). On one Redis a publish's charge runs inside ACCEPT instead
 * (CHARGE_FUNCTIONS, AppLimits.publishCharge).
 */

// KEYS: connections ZSET, usage minute HASH. ARGV: connId, now, leaseMs, max.
// Returns 1 admitted, 0 refused. Connections only grow on admission, so the minute's peak is kept here.
export const ADMIT = new LuaScript(
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
local c = redis.call('ZCARD', KEYS[1])
if c > tonumber(redis.call('HGET', KEYS[2], 'c') or '0') then redis.call('HSET', KEYS[2], 'c', c) end
redis.call('EXPIRE', KEYS[2], ${3 * 86_400})
return 1
`,
  2,
);

// ADMIT for many connections of one app at once (those of one event-loop turn): one round trip and one
// script for a reconnect storm's thousands. KEYS: ADMIT's. ARGV: now, leaseMs, max, connId….
// Returns 1 (admitted) or 0 (refused) per connId, in order: the cap is checked connection by
// connection inside one atomic script, so it holds exactly whatever other gateways admit meanwhile.
export const ADMIT_MANY = new LuaScript(
  'admit-many',
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local expiry = tonumber(ARGV[1]) + tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local c = redis.call('ZCARD', KEYS[1])
local out = {}
local added = 0
for i = 4, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], expiry, ARGV[i])
    out[#out + 1] = 1
  elseif c >= max then
    out[#out + 1] = 0
  else
    redis.call('ZADD', KEYS[1], expiry, ARGV[i])
    c = c + 1
    added = added + 1
    out[#out + 1] = 1
  end
end
if added > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  if c > tonumber(redis.call('HGET', KEYS[2], 'c') or '0') then redis.call('HSET', KEYS[2], 'c', c) end
  redis.call('EXPIRE', KEYS[2], ${3 * 86_400})
end
return out
`,
  2,
);

// A publish's charge as two Lua functions, shared by CHARGE and by ACCEPT, which runs them around its
// own writes on one Redis (channel-scripts.ts):
//  - admitCharge counts n publishes toward the second's rate, then checks the rate and the day's quota:
//    0 admitted, -1 (rate) or -2 (quota) refused. A refused publish counts toward the rate (so a flood
//    stays refused) but never toward the day's usage or the roll-up.
//  - billCharge bills n admitted publishes: the day's usage, the minute roll-up and the live second.
export const CHARGE_FUNCTIONS = `
local function admitCharge(rate, day, n, maxPerSecond, maxPerDay)
  local perSecond = redis.call('INCRBY', rate, n)
  redis.call('EXPIRE', rate, 2)
  if perSecond > tonumber(maxPerSecond) then return -1 end
  if tonumber(maxPerDay) >= 0 and tonumber(redis.call('GET', day) or '0') + tonumber(n) > tonumber(maxPerDay) then return -2 end
  return 0
end
local function billCharge(day, minute, live, n, dayTtl, liveTtl)
  redis.call('INCRBY', day, n)
  redis.call('EXPIRE', day, dayTtl)
  redis.call('HINCRBY', minute, 'p', n)
  redis.call('EXPIRE', minute, dayTtl)
  redis.call('HINCRBY', live, 'p', n)
  redis.call('EXPIRE', live, liveTtl)
end
`;

// KEYS: rate, day usage, minute usage, live second (one app: one slot)
// ARGV: count, max per second, max per day (-1: none), day TTL, live TTL
// Returns 0 charged, -1 (rate) or -2 (quota) refused (admitCharge).
export const CHARGE = new LuaScript(
  'charge',
  `${CHARGE_FUNCTIONS}
local code = admitCharge(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
if code < 0 then return code end
billCharge(KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[4], ARGV[5])
return 0
`,
  4,
);
