import { LuaScript } from '../lua-script.js';

/* The Lua script of ChannelOccupancy (channel-occupancy.ts): one channel's holders, on its slot. */

// KEYS: occupancy ZSET (the channel's slot)
// ARGV: op (hold | release | sweep), gatewayId, now, expiry
// Returns {occupied (1|0) after the call, the earliest holder lease ('' when none), event kinds...}: the
// caller appends the events to the events feed and updates the indexes (other slots; see run()).
export const OCCUPANCY = new LuaScript(
  'occupancy',
  `
local op, gw, now = ARGV[1], ARGV[2], ARGV[3]
local events = {}
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local live = redis.call('ZCARD', KEYS[1])
if before > 0 and live == 0 then events[#events + 1] = 'channel.vacated' end
if op == 'hold' then
  if redis.call('ZADD', KEYS[1], ARGV[4], gw) == 1 and live == 0 then events[#events + 1] = 'channel.occupied' end
elseif op == 'release' then
  if redis.call('ZREM', KEYS[1], gw) == 1 and live == 1 then events[#events + 1] = 'channel.vacated' end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local out = {0, ''}
if first[1] then out = {1, first[2]} else redis.call('DEL', KEYS[1]) end
for _, e in ipairs(events) do out[#out + 1] = e end
return out
`,
  1,
);
