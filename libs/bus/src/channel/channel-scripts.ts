import { FanoutScript } from '../fanout-script.js';
import { CHARGE_FUNCTIONS } from '../limits/limit-scripts.js';

/*
 * A message is stored, numbered and fanned out when it is accepted, by one script on its channel's keys
 * (one cluster slot, `{app|channel}`):
 *  - ACCEPT gives each message the channel's next offset, appends its frame to the history stream
 *    (trimmed to the window), publishes it on the fan-out channel and records the idempotency key — all
 *    or nothing. Redis runs one script at a time, so a channel's messages are stored and published in
 *    offset order whichever API or gateway process accepted them.
 *  - RECOVER answers a resuming subscriber: the missed frames after its position, or not recovered.
 * What must then happen once per message off the hot path (the Postgres archive and the
 * message.published webhooks) reads the archive feed, a stream of the channel's shard. On one Redis ACCEPT
 * appends to it as well (nothing stored goes unfed, whatever process dies when); on a cluster the shard is
 * another slot, so the accepting process appends the frames the script returns before answering the
 * publisher (ChannelLog.feedArchive; docs/architecture.md#redis-cluster).
 * A channel's meta hash holds its epoch (e) and last offset (s). When it is lost (Redis flushed, or
 * restarted without persistence) a new epoch begins.
 * On a cluster (the FanoutScript variant, CLUSTER) the meta also holds the replication id of the master
 * that last wrote it (r, INFO replication's master_replid). A replica promoted after its master died gets
 * a new replication id, and it may lack writes the old master had acknowledged (and published): their
 * offsets would be given again under the same epoch, and a client holding them would never notice. So
 * ACCEPT and RECOVER begin a new epoch when the id changed — every channel written on a failed-over shard
 * rotates once, lost writes or not (conservative, never silent). A meta without r (written by one Redis
 * or an older version) just records it.
 *
 * Upgrade: an older publish path stored accepted frames in a pending hash until a worker appended them,
 * and kept the last appended offset in meta field `a`. ACCEPT refuses such a channel ({-3}) until
 * DRAIN_LEGACY has appended and published its pending frames in offset order (the caller runs it, feeds
 * the archive with them and tries again). Nothing the old path accepted is lost.
 */

// The channel's epoch (Lua, shared by ACCEPT and RECOVER): a new one (its history dropped: it belongs to
// the old one) when the meta has none, or on a cluster when the master's replication id is not the one
// that last wrote the meta (a failover: see above).
const CURRENT_EPOCH = `
local function currentEpoch(meta, history, newEpoch)
  local m = redis.call('HMGET', meta, 'e', 'r')
  local epoch, wroteBy, replid = m[1], m[2], nil
  if CLUSTER then replid = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)') end
  if not epoch or (replid and wroteBy and wroteBy ~= replid) then
    epoch = newEpoch
    redis.call('HSET', meta, 'e', epoch, 's', 0)
    redis.call('DEL', history)
  end
  if replid and wroteBy ~= replid then redis.call('HSET', meta, 'r', replid) end
  return epoch
end
`;

// KEYS: meta, history, unfed, [the archive feed, on one Redis only,] [the app's charge keys — rate, day
// usage, minute usage, live second — on one Redis only, when this call charges,] then the idempotency key
// of each message (one channel)
// ARGV: newEpoch, idemTtlMs, now, maxLen, historyTtlMs, channel, fanout, member (the feed entry's `k`; ''
// when the feed is not a key of this call), wildcardFanout ('' for none), the charge's count, max per
// second, max per day, day TTL and live TTL (CHARGE's ARGV; five '' when this call does not charge), then
// per message its frame head (JSON object text without its closing brace) and its Web Push spec ('' for none)
// On one Redis (member given) the script also appends each new frame to the archive feed: stored,
// published and fed all or nothing. On a cluster the feed is another slot, so the caller feeds it.
// On one Redis it may charge the publishes as well (AppLimits.publishCharge): CHARGE's own steps, the
// admission first (a refusal returns {-1} or {-2} having stored nothing, its publishes counted toward the
// rate as CHARGE counts them) and the billing last — every message of the call, a repeated id too, as
// CHARGE before a separate accept bills it. On a cluster the app's keys are another slot: the caller
// charges first (CHARGE) and refunds what it then failed to store.
// wildcardFanout (cluster only: the app has MQTT wildcard subscribers, MqttWildcardMarks) is a classic
// pub/sub channel each new frame is also published on, as `<channel>\n<frame>`; a channel name is no key,
// so this stays a single-slot script.
// Returns three values per message: fresh (1|0), "epoch:offset:channel", the frame the caller must feed
// to the archive ('' for none). A repeated id gives 0 and the first acceptance's position, and its frame only
// when that acceptance's feed failed (its idempotency key is in `unfed`) and the history still holds it:
// the publisher's retry feeds it then. Returns {-3} when the channel must be upgraded first (see above).
export const ACCEPT = new FanoutScript(
  'accept',
  `${CURRENT_EPOCH}${CHARGE_FUNCTIONS}
local meta, history, unfed = KEYS[1], KEYS[2], KEYS[3]
local newEpoch, idemTtlMs, now, maxLen, historyTtlMs, channel, fanout, member = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local wildcardFanout, n = ARGV[9], ARGV[10]
local feed, charge = nil, nil
local first = 4
if member ~= '' then
  feed = KEYS[4]
  first = 5
end
if n ~= '' then
  charge = {KEYS[first], KEYS[first + 1], KEYS[first + 2], KEYS[first + 3]}
  first = first + 4
  local code = admitCharge(charge[1], charge[2], n, ARGV[11], ARGV[12])
  if code < 0 then return {code} end
end
if redis.call('HEXISTS', meta, 'a') == 1 then
  -- Tried again once the channel is upgraded, charge and all: its publishes count toward the rate once.
  if charge then redis.call('DECRBY', charge[1], n) end
  return {-3}
end
local epoch = currentEpoch(meta, history, newEpoch)
local function unfedFrame(idem, pos)
  if redis.call('SISMEMBER', unfed, idem) == 0 then return '' end
  local e, o, ch = string.match(pos, '^([^:]*):(%d+):(.*)$')
  if e ~= epoch or ch ~= channel then return '' end
  local r = redis.call('XRANGE', history, o .. '-0', o .. '-0')
  if not r[1] then return '' end
  local fields = r[1][2]
  for j = 1, #fields, 2 do if fields[j] == 'f' then return fields[j + 1] end end
  return ''
end
local out = {}
for i = first, #KEYS do
  local head, push = ARGV[15 + 2 * (i - first)], ARGV[16 + 2 * (i - first)]
  local prev = redis.call('GET', KEYS[i])
  if prev then
    out[#out + 1] = 0
    out[#out + 1] = prev
    out[#out + 1] = unfedFrame(KEYS[i], prev)
  else
    local seq = tonumber(redis.call('HGET', meta, 's') or '0') + 1
    local frame = head .. ',"offset":' .. seq .. ',"epoch":"' .. epoch .. '"}'
    -- The feed first: a script is not rolled back, so a feed Redis refuses leaves nothing of the message.
    if feed then
      if push == '' then
        redis.call('XADD', feed, '*', 'k', member, 'f', frame)
      else
        redis.call('XADD', feed, '*', 'k', member, 'f', frame, 'p', push)
      end
    end
    redis.call('HSET', meta, 's', seq)
    redis.call('XADD', history, 'MAXLEN', maxLen, seq .. '-0', 'f', frame, 't', now)
    redis.call(FANOUT_PUBLISH, fanout, frame)
    if wildcardFanout ~= '' then redis.call('PUBLISH', wildcardFanout, channel .. '\\n' .. frame) end
    local pos = epoch .. ':' .. seq .. ':' .. channel
    redis.call('SET', KEYS[i], pos, 'PX', idemTtlMs)
    out[#out + 1] = 1
    out[#out + 1] = pos
    out[#out + 1] = feed and '' or frame
  end
end
redis.call('PEXPIRE', history, historyTtlMs)
if charge then billCharge(charge[2], charge[3], charge[4], n, ARGV[13], ARGV[14]) end
return out
`,
  'variable',
);

// KEYS: meta, pending, history
// ARGV: fanout, maxLen, historyTtlMs, now, wildcardFanout ('' for none; see ACCEPT), channel
// Appends and publishes, in offset order, what the previous path accepted and left pending on one
// channel; returns those frames (the caller feeds them to the archive).
export const DRAIN_LEGACY = new FanoutScript(
  'drain-legacy',
  `
local meta, pending, history = KEYS[1], KEYS[2], KEYS[3]
local a = redis.call('HGET', meta, 'a')
if not a then return {} end
local s = tonumber(redis.call('HGET', meta, 's') or '0')
local moved = {}
for i = tonumber(a) + 1, s do
  local f = redis.call('HGET', pending, i)
  if f then
    redis.call('XADD', history, 'MAXLEN', ARGV[2], i .. '-0', 'f', f, 't', ARGV[4])
    redis.call(FANOUT_PUBLISH, ARGV[1], f)
    if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6] .. '\\n' .. f) end
    moved[#moved + 1] = f
  end
end
redis.call('DEL', pending)
redis.call('HDEL', meta, 'a', 'j')
if #moved > 0 then redis.call('PEXPIRE', history, ARGV[3]) end
return moved
`,
  3,
);

// KEYS: meta, history
// ARGV: newEpoch, sinceOffset (-1 = no position), sinceEpoch, minTime, maxCount
// Returns {epoch, top, recovered (1|0), frame...}. top is the last stored offset (on a channel the
// previous path left pending, its last appended one, until the channel is upgraded).
export const RECOVER = new FanoutScript(
  'recover',
  `${CURRENT_EPOCH}
local epoch = currentEpoch(KEYS[1], KEYS[2], ARGV[1])
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
