import { FanoutScript } from '../fanout-script.js';

/*
 * Presence lives in three per-channel keys (same hash tag as the channel's log) plus a sharded index:
 *  - conns  ZSET  `connId|userId` → lease expiry (ms); a gateway renews its connections' leases.
 *  - users  HASH  userId → data (JSON object text), for every user with at least one live connection.
 *  - count  HASH  userId → live connections of that user; HLEN is the channel's member count.
 *  - index  ZSET  `appId|channel` → a lower bound of the channel's earliest lease (in the channel's
 *    shard), so a sweep only visits channels that may hold expired connections. Renewals leave it
 *    stale-low on purpose (a visit then finds nothing and re-indexes) instead of costing a write per
 *    renewal.
 * Each script first expires the channel's lapsed connections, then does its change and publishes the
 * resulting events on the channel's fan-out channel — atomically, so whichever gateway, API or sweeper
 * gets there first produces the one event, and nobody else can produce it again.
 * The index and the events stream sit in other slots (shards): each script returns its events and the
 * channel's earliest lease, and its caller appends the events to the events stream and re-indexes the
 * channel (PresenceStore.run), so the worker turns one member.joined / member.left webhook event out
 * of each change, whichever process made it.
 * userIds (safe alphabet, no '|') and channel names (no '"' or '\') are embedded in the frame text as-is;
 * data is JSON text produced by JSON.stringify.
 */

// Shared prologue. Every script has KEYS = conns, users, count and starts its ARGV with
// fanout, channel, now, maxExpire.

const PROLOGUE = `
local FAN, CH, NOW, MAX = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local events = {}

local function emit(action, uid, data)
  local amount = redis.call('HLEN', KEYS[3])
  local f = '{"type":"presence","channel":"' .. CH .. '","action":"' .. action .. '","member":{"id":"' .. uid ..
    '","data":' .. data .. '},"time":' .. NOW .. ',"amount":' .. amount .. '}'
  redis.call(FANOUT_PUBLISH, FAN, f)
  events[#events + 1] = f
end

-- One connection of uid is gone: forget the user (and announce it) when it was the last one.
local function drop(uid, action)
  if redis.call('HINCRBY', KEYS[3], uid, -1) > 0 then return 0 end
  redis.call('HDEL', KEYS[3], uid)
  local data = redis.call('HGET', KEYS[2], uid) or '{}'
  redis.call('HDEL', KEYS[2], uid)
  emit(action, uid, data)
  return 1
end

local function expire()
  local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', NOW, 'LIMIT', 0, MAX)
  for _, m in ipairs(gone) do
    redis.call('ZREM', KEYS[1], m)
    drop(string.match(m, '|([^|]*)$'), 'timeout')
  end
end

-- The earliest lease ('' when none), for the caller to index the channel by.
local function earliest()
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return first[2] or ''
end

expire()
`;

// ARGV: …prologue, member, userId, data, expiry
// Returns {joined (1|0), amount, earliest lease, eventFrame...}
export const PRESENCE_JOIN = new FanoutScript(
  'presence-join',
  `${PROLOGUE}
local member, uid = ARGV[5], ARGV[6]
local joined = 0
-- ZADD answers 1 only for a new connection; a repeated join of the same one just extends its lease.
if redis.call('ZADD', KEYS[1], ARGV[8], member) == 1 and redis.call('HINCRBY', KEYS[3], uid, 1) == 1 then
  redis.call('HSET', KEYS[2], uid, ARGV[7])
  emit('join', uid, ARGV[7])
  joined = 1
end
return {joined, redis.call('HLEN', KEYS[3]), earliest(), unpack(events)}
`,
  3,
);

// ARGV: …prologue, member, userId
// Returns {left (1|0), amount, earliest lease, eventFrame...}
export const PRESENCE_LEAVE = new FanoutScript(
  'presence-leave',
  `${PROLOGUE}
local left = 0
-- An unknown connection (never joined, already left or already expired) changes nothing.
if redis.call('ZREM', KEYS[1], ARGV[5]) == 1 then left = drop(ARGV[6], 'leave') end
return {left, redis.call('HLEN', KEYS[3]), earliest(), unpack(events)}
`,
  3,
);

// ARGV: …prologue
// Returns {earliest lease, eventFrame...}
export const PRESENCE_SWEEP = new FanoutScript(
  'presence-sweep',
  `${PROLOGUE}
return {earliest(), unpack(events)}
`,
  3,
);

// ARGV: …prologue, limit
// Returns {amount, eventCount, earliest lease, eventFrame..., userId, data, userId, data...}
export const PRESENCE_HERE_NOW = new FanoutScript(
  'presence-here-now',
  `${PROLOGUE}
local limit = tonumber(ARGV[5])
local out = {redis.call('HLEN', KEYS[3]), #events, earliest()}
for _, f in ipairs(events) do out[#out + 1] = f end
local seen, n, cursor = {}, 0, '0'
repeat
  local page = redis.call('HSCAN', KEYS[2], cursor, 'COUNT', limit)
  cursor = page[1]
  local kv = page[2]
  for i = 1, #kv, 2 do
    -- HSCAN may repeat a field while the hash is being rehashed.
    if n < limit and not seen[kv[i]] then
      seen[kv[i]] = true
      n = n + 1
      out[#out + 1] = kv[i]
      out[#out + 1] = kv[i + 1]
    end
  end
until cursor == '0' or n >= limit
return out
`,
  3,
);
