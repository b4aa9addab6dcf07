import { LuaScript } from './lua-script.js';
import { CHARGE_KEYS, chargeLua } from './app-limits.js';

/*
 * A message is stored, numbered and fanned out when it is accepted, by one script on its channel's keys:
 *  - ACCEPT gives it the channel's next offset, appends its frame to the history stream (trimmed to the
 *    window), publishes it on the fan-out channel, feeds the archive stream and records the idempotency
 *    key — all or nothing. Redis runs one script at a time, so a channel's messages are stored and
 *    published in offset order whichever API or gateway process accepted them; the publisher is answered
 *    after this one round trip.
 *  - RECOVER answers a resuming subscriber: the missed frames after its position, or not recovered.
 * What must then happen once per message off the hot path (the Postgres archive and the
 * message.published webhooks) reads the archive stream through a consumer group (the worker).
 * A channel's meta hash holds its epoch (e) and last offset (s). When it is lost (Redis flushed, or
 * restarted without persistence) a new epoch begins.
 *
 * Upgrade: the previous path stored accepted frames in a pending hash until a worker appended them, and
 * kept the last appended offset in meta field `a`. A channel that still has that field is upgraded by
 * its first script (ACCEPT, or DRAIN_LEGACY at worker start): its pending frames are appended and
 * published in offset order first, then the field goes. Nothing the old path accepted is lost.
 */

const UPGRADE_FN = `
local function upgrade(meta, pending, history, archive, fanout, member, maxLen, now)
  local a = redis.call('HGET', meta, 'a')
  if not a then return 0 end
  local s = tonumber(redis.call('HGET', meta, 's') or '0')
  local n = 0
  for i = tonumber(a) + 1, s do
    local f = redis.call('HGET', pending, i)
    if f then
      redis.call('XADD', history, 'MAXLEN', maxLen, i .. '-0', 'f', f, 't', now)
      redis.call('PUBLISH', fanout, f)
      redis.call('XADD', archive, '*', 'k', member, 'f', f)
      n = n + 1
    end
  end
  redis.call('DEL', pending)
  redis.call('HDEL', meta, 'a', 'j')
  return n
end
`;

// accept(meta, pending, history, idem, archive, head, newEpoch, idemTtlMs, now, member, channel, fanout, maxLen, historyTtlMs, push)
// push: the publish's Web Push spec (JSON text) or '' — carried on the archive entry (field p), so the
// worker that archives the message is the one that fans its push out, once.
// Returns {fresh (1|0), "epoch:offset:channel"} — for a repeated id, {0, the first acceptance's}.
const ACCEPT_FN = `${UPGRADE_FN}
local function accept(meta, pending, history, idem, archive, head, newEpoch, idemTtlMs, now, member, channel, fanout, maxLen, historyTtlMs, push)
  local prev = redis.call('GET', idem)
  if prev then return {0, prev} end
  local epoch = redis.call('HGET', meta, 'e')
  if not epoch then
    -- A new epoch: whatever history survived the meta belongs to the old one.
    epoch = newEpoch
    redis.call('HSET', meta, 'e', epoch, 's', 0)
    redis.call('DEL', history)
  else
    upgrade(meta, pending, history, archive, fanout, member, maxLen, now)
  end
  local seq = redis.call('HINCRBY', meta, 's', 1)
  local frame = head .. ',"offset":' .. seq .. ',"epoch":"' .. epoch .. '"}'
  redis.call('XADD', history, 'MAXLEN', maxLen, seq .. '-0', 'f', frame, 't', now)
  redis.call('PEXPIRE', history, historyTtlMs)
  redis.call('PUBLISH', fanout, frame)
  if push == '' then
    redis.call('XADD', archive, '*', 'k', member, 'f', frame)
  else
    redis.call('XADD', archive, '*', 'k', member, 'f', frame, 'p', push)
  end
  local pos = epoch .. ':' .. seq .. ':' .. channel
  redis.call('SET', idem, pos, 'PX', idemTtlMs)
  return {1, pos}
end
`;

const ACCEPT_ONE = `${ACCEPT_FN}return accept(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10])\n`;

// KEYS: meta, pending, history, idempotency, archive, then the publish charge's (app-limits.ts)
// ARGV: frameHead (JSON object text without its closing brace), newEpoch, idemTtlMs, now, member, channel,
// fanout, maxLen, historyTtlMs, push ('' for none), then the charge's. A single publish: charged, stored and
// published in one round trip. Returns {-1} / {-2} when the charge is refused (rate / quota), before anything is stored.
export const CHARGE_ACCEPT = new LuaScript('charge-accept', `${chargeLua(5, 10, (c) => `{${c}}`)}${ACCEPT_ONE}`, 5 + CHARGE_KEYS);

// Many already charged messages of one app (a batch, after one CHARGE), accepted in the order given, in
// one script: the same as that many accepts one after another, without a script call and a reply each.
// KEYS: archive, then meta, pending, history, idempotency per message
// ARGV: newEpoch, idemTtlMs, now, maxLen, historyTtlMs, then frameHead, member, channel, fanout, push per message
// Returns accept's two values per message, one after another.
export const ACCEPT_MANY = new LuaScript(
  'accept-many',
  `${ACCEPT_FN}
local out = {}
for i = 0, (#KEYS - 1) / 4 - 1 do
  local k = 2 + 4 * i
  local a = 6 + 5 * i
  local r = accept(KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[1], ARGV[a], ARGV[1], ARGV[2], ARGV[3], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[4], ARGV[5], ARGV[a + 4])
  out[#out + 1] = r[1]
  out[#out + 1] = r[2]
end
return out
`,
  'variable',
);

// KEYS: meta, pending, history, archive, legacyPendingIndex
// ARGV: fanout, member, maxLen, historyTtlMs, now
// Appends what the previous path accepted and left pending on one channel; returns how many frames.
export const DRAIN_LEGACY = new LuaScript(
  'drain-legacy',
  `${UPGRADE_FN}
local n = upgrade(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[5])
if n > 0 then redis.call('PEXPIRE', KEYS[3], ARGV[4]) end
redis.call('ZREM', KEYS[5], ARGV[2])
return n
`,
  5,
);

// KEYS: meta, history
// ARGV: newEpoch, sinceOffset (-1 = no position), sinceEpoch, minTime, maxCount
// Returns {epoch, top, recovered (1|0), frame...}. top is the last stored offset (on a channel the
// previous path left pending, its last appended one, until the channel is upgraded).
export const RECOVER = new LuaScript(
  'recover',
  `
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'e', epoch, 's', 0)
  redis.call('DEL', KEYS[2])
end
local top = tonumber(redis.call('HGET', KEYS[1], 'a') or redis.call('HGET', KEYS[1], 's'))
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
