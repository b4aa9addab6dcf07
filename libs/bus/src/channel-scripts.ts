import { LuaScript } from './lua-script.js';
import { CHARGE_KEYS, chargeLua } from './app-limits.js';

/*
 * The ordering and exactly-once contract lives in these three scripts (each atomic in Redis):
 *  - ACCEPT gives a message its offset the moment it is accepted (per channel, in acceptance order),
 *    stores its frame as pending, and records the idempotency key — all or nothing.
 *  - APPEND moves every pending frame, in offset order, to the history stream, publishes it on the
 *    fan-out channel and feeds the archive. Whichever job runs it, messages leave in offset order; a
 *    retried or duplicated job finds nothing left to do. So several workers, concurrency above 1,
 *    retries and a worker killed mid-job can neither reorder, lose nor duplicate a message.
 *  - RECOVER answers a resuming subscriber: the missed frames after its position, or not recovered.
 * A channel's meta hash holds its epoch (e), last accepted offset (s), last appended offset (a) and
 * when a publish job was last asked for (j).
 * When the meta is lost (Redis flushed, or restarted without persistence) a new epoch begins.
 */

// accept(meta, pending, idempotency, pendingIndex, frameHead, newEpoch, idemTtlMs, now, member, channel, jobStaleMs)
// Returns {fresh (1|0), "epoch:offset:channel", job (1|0)} — for a repeated id, {0, the first acceptance's, 0}.
// job = 1 when the channel needs a publish job: it had nothing pending (no job can be under way), or its
// last job was asked for jobStaleMs ago or more and it is still pending (a lost or stuck job). Otherwise a
// job asked for since the channel became pending has not run its final APPEND yet, and that APPEND moves
// this message too (it drains up to the offset it reads, atomically): no second job is needed.
const ACCEPT_FN = `
local function accept(meta, pending, idem, pendingIndex, head, newEpoch, idemTtlMs, now, member, channel, jobStaleMs)
  local epoch = redis.call('HGET', meta, 'e')
  if not epoch then
    epoch = newEpoch
    redis.call('HSET', meta, 'e', epoch, 's', 0, 'a', 0)
  end
  local prev = redis.call('GET', idem)
  if prev then return {0, prev, 0} end
  local seq = redis.call('HINCRBY', meta, 's', 1)
  redis.call('HSET', pending, seq, head .. ',"offset":' .. seq .. ',"epoch":"' .. epoch .. '"}')
  local pos = epoch .. ':' .. seq .. ':' .. channel
  redis.call('SET', idem, pos, 'PX', idemTtlMs)
  local job = redis.call('ZADD', pendingIndex, 'NX', now, member)
  if job == 0 and tonumber(now) - tonumber(redis.call('HGET', meta, 'j') or '0') >= tonumber(jobStaleMs) then job = 1 end
  if job == 1 then redis.call('HSET', meta, 'j', now) end
  return {1, pos, job}
end
`;

const ACCEPT_ONE = `${ACCEPT_FN}return accept(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])\n`;

// KEYS: meta, pending, idempotency, pendingIndex, then the publish charge's (app-limits.ts)
// ARGV: frameHead (JSON object text without its closing brace), newEpoch, idemTtlMs, now, member, channel,
// jobStaleMs, then the charge's. A single publish: charged and accepted in one round trip. Returns {-1} / {-2} when the charge is refused (rate / quota), before
// anything is stored.
export const CHARGE_ACCEPT = new LuaScript('charge-accept', `${chargeLua(4, 7, (c) => `{${c}}`)}${ACCEPT_ONE}`, 4 + CHARGE_KEYS);

// Many already charged messages (a batch, after one CHARGE), accepted in the order given, in one script:
// the same as that many accepts one after another, without a script call and a reply per message.
// KEYS: pendingIndex, then meta, pending, idempotency per message
// ARGV: newEpoch, idemTtlMs, now, jobStaleMs, then frameHead, member, channel per message
// Returns accept's three values per message, one after another.
export const ACCEPT_MANY = new LuaScript(
  'accept-many',
  `${ACCEPT_FN}
local out = {}
for i = 0, (#KEYS - 1) / 3 - 1 do
  local r = accept(KEYS[2 + 3 * i], KEYS[3 + 3 * i], KEYS[4 + 3 * i], KEYS[1], ARGV[5 + 3 * i], ARGV[1], ARGV[2], ARGV[3], ARGV[6 + 3 * i], ARGV[7 + 3 * i], ARGV[4])
  out[#out + 1] = r[1]
  out[#out + 1] = r[2]
  out[#out + 1] = r[3]
end
return out
`,
  'variable',
);

// KEYS: meta, pending, history, archive, pendingIndex
// ARGV: fanoutChannel, maxLen, batch, member, historyTtlMs, now
// Returns {appended offset, accepted offset, frames moved}
export const APPEND = new LuaScript(
  'append',
  `
local a = tonumber(redis.call('HGET', KEYS[1], 'a') or '0')
local s = tonumber(redis.call('HGET', KEYS[1], 's') or '0')
local limit = math.min(s, a + tonumber(ARGV[3]))
local n = 0
for i = a + 1, limit do
  local f = redis.call('HGET', KEYS[2], i)
  if f then
    redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[2], i .. '-0', 'f', f, 't', ARGV[6])
    redis.call('PUBLISH', ARGV[1], f)
    redis.call('XADD', KEYS[4], '*', 'k', ARGV[4], 'f', f)
    redis.call('HDEL', KEYS[2], i)
    n = n + 1
  end
end
if limit > a then
  redis.call('HSET', KEYS[1], 'a', limit)
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
end
if limit >= s then redis.call('ZREM', KEYS[5], ARGV[4]) end
return {limit, s, n}
`,
  5,
);

// KEYS: meta, history
// ARGV: newEpoch, sinceOffset (-1 = no position), sinceEpoch, minTime, maxCount
// Returns {epoch, top, recovered (1|0), frame...}
export const RECOVER = new LuaScript(
  'recover',
  `
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'e', epoch, 's', 0, 'a', 0)
end
local top = tonumber(redis.call('HGET', KEYS[1], 'a'))
local since = tonumber(ARGV[2])
if since < 0 then return {epoch, top, 1} end
if ARGV[3] ~= epoch or since > top then return {epoch, top, 0} end
if since == top then return {epoch, top, 1} end
if top - since > tonumber(ARGV[5]) then return {epoch, top, 0} end
local entries = redis.call('XRANGE', KEYS[2], (since + 1) .. '-0', top .. '-0')
if #entries ~= top - since then return {epoch, top, 0} end
local out = {epoch, top, 1}
for i, e in ipairs(entries) do
  local fields = e[2]
  local f, t
  for j = 1, #fields, 2 do
    if fields[j] == 'f' then f = fields[j + 1] elseif fields[j] == 't' then t = fields[j + 1] end
  end
  if i == 1 and tonumber(t) < tonumber(ARGV[4]) then return {epoch, top, 0} end
  out[#out + 1] = f
end
return out
`,
  2,
);
