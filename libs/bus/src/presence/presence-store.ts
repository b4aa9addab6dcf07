import type { RedisClient } from '../redis.js';
import { HeraldError, assertChannel, type PresenceFrame, type PresenceMember } from '@herald/protocol';
import { RedisKeys } from '../redis-keys.js';
import type { FanoutScript } from '../fanout-script.js';
import { PRESENCE_HERE_NOW, PRESENCE_JOIN, PRESENCE_LEAVE, PRESENCE_SWEEP } from './presence-scripts.js';
import { EVENTS_MAXLEN } from '../streams/events-stream.js';
import { sendAll, valuesOf, type Command } from '../commands.js';

/** The JSON object a client gives at connect, shown to other members (GoEasy's `member.data`). */
export type PresenceData = Record<string, unknown>;

export type { PresenceFrame, PresenceMember };

export interface PresenceEntry {
  appId: string;
  channel: string;
  connId: string;
  userId: string;
}

export interface JoinResult {
  /** true only for the user's first live connection on the channel (a join event was published). */
  joined: boolean;
  amount: number;
  /** Every event this call published: timeouts of lapsed connections found on the way, then the join. */
  events: PresenceFrame[];
}

export interface LeaveResult {
  /** true only when the user's last connection left (a leave event was published). */
  left: boolean;
  amount: number;
  events: PresenceFrame[];
}

export interface HereNow {
  amount: number;
  members: PresenceMember[];
}

export const PRESENCE_DATA_MAX_BYTES = 300;
/** Bounds one script's work; a channel with more lapsed connections is finished by the next sweep. */
const MAX_EXPIRE_PER_CALL = 1000;
const USER_ID_RE = /^[A-Za-z0-9_\-.@:=~]{1,60}$/;
const CONN_ID_MAX = 128;

/** User ids are embedded in Redis members (`connId|userId`) and in frame text: a safe alphabet, no '|'. */
export function assertUserId(id: unknown): string {
  if (typeof id !== 'string' || !USER_ID_RE.test(id)) {
    throw new HeraldError('invalid_request', 'User id must be 1-60 characters from A-Z a-z 0-9 _ - . @ : = ~');
  }
  return id;
}

function encodeData(raw: unknown): string {
  let value = raw ?? {};
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new HeraldError('invalid_request', 'Presence data must be a JSON object');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HeraldError('invalid_request', 'Presence data must be a JSON object');
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    throw new HeraldError('invalid_request', 'Presence data must be serialisable as JSON');
  }
  if (Buffer.byteLength(text, 'utf8') > PRESENCE_DATA_MAX_BYTES) {
    throw new HeraldError('invalid_request', `Presence data over ${PRESENCE_DATA_MAX_BYTES} bytes of JSON`);
  }
  return text;
}

/**
 * Validates a member's data: a JSON object (or its JSON text; absent = {}) of at most 300 bytes once
 * serialised. Returns it as it will be stored and shown (JSON round trip).
 */
export function parsePresenceData(raw: unknown): PresenceData {
  return JSON.parse(encodeData(raw)) as PresenceData;
}

function assertConnId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > CONN_ID_MAX) {
    throw new HeraldError('invalid_request', `Connection id must be 1-${CONN_ID_MAX} characters`);
  }
  return id;
}

function assertLease(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0) throw new HeraldError('invalid_request', 'Lease must be a positive integer (ms)');
  return ms;
}

/** The userId never contains '|', so the script finds it after the last one whatever the connId holds. */
const connMember = (connId: string, userId: string) => `${connId}|${userId}`;

type Reply = Array<string | number>;

/**
 * Channel members shared by every gateway, in Redis. A connection is a member while its lease runs;
 * its gateway renews the leases of all its connections every lease/3, so a crashed gateway's members
 * lapse and are announced as `timeout` by whoever notices first (sweep, or any later call on the
 * channel). One user id with several connections is one member: join on the first, leave on the last.
 */
export class PresenceStore {
  constructor(
    private readonly redis: RedisClient,
    readonly keys: RedisKeys,
  ) {}

  async join(appId: string, channel: string, c: { connId: string; userId: string; data?: unknown; leaseMs: number; now?: number }): Promise<JoinResult> {
    const member = connMember(assertConnId(c.connId), assertUserId(c.userId));
    const data = encodeData(c.data);
    const now = c.now ?? Date.now();
    const expiry = now + assertLease(c.leaseMs);
    const [joined, amount, first, ...frames] = await this.run(PRESENCE_JOIN, appId, channel, now, [member, c.userId, data, expiry]);
    const events = parseEvents(frames);
    await this.afterScript(appId, channel, first, events);
    return { joined: joined === 1, amount: Number(amount), events };
  }

  async leave(appId: string, channel: string, c: { connId: string; userId: string; now?: number }): Promise<LeaveResult> {
    const member = connMember(assertConnId(c.connId), assertUserId(c.userId));
    const [left, amount, first, ...frames] = await this.run(PRESENCE_LEAVE, appId, channel, c.now ?? Date.now(), [member, c.userId]);
    const events = parseEvents(frames);
    await this.afterScript(appId, channel, first, events);
    return { left: left === 1, amount: Number(amount), events };
  }

  /**
   * Extends the leases of these connections in one pipelined round trip. Never re-creates one: returns
   * the entries that were no longer members (swept after a stall), which the caller should join again.
   */
  async renew(entries: readonly PresenceEntry[], leaseMs: number, now = Date.now()): Promise<PresenceEntry[]> {
    if (entries.length === 0) return [];
    const expiry = now + assertLease(leaseMs);
    const commands: Command[] = [];
    const channels = new Map<string, PresenceEntry>();
    for (const e of entries) {
      const conns = this.keys.channel(e.appId, e.channel).presenceConns;
      const member = connMember(e.connId, e.userId);
      // XX: only existing connections; GT: a delayed renewal never shortens a newer lease.
      commands.push(['zadd', conns, 'XX', 'GT', expiry, member], ['zscore', conns, member]);
      channels.set(this.keys.member(e.appId, e.channel), e);
    }
    // An index entry a racing call removed comes back (NX: an entry's earlier score is kept).
    for (const [m, e] of channels) commands.push(['zadd', this.keys.presenceIndex(e.appId, e.channel), 'NX', expiry, m]);
    const results = await sendAll(this.redis, commands);
    const lost: PresenceEntry[] = [];
    entries.forEach((e, i) => {
      const [addErr] = results[i * 2] ?? [new Error('renew: no reply')];
      const [err, score] = results[i * 2 + 1] ?? [new Error('renew: no reply')];
      if (addErr || err) throw addErr ?? err;
      if (score === null) lost.push(e);
    });
    return lost;
  }

  /**
   * Expires lapsed connections in up to `limit` channels due by `now` in each shard of the index (and in
   * the previous version's unsharded index, whose entries move to their shard on the way), publishing one
   * `timeout` per user whose last connection lapsed. Safe to run in several processes at once: each
   * channel's expiry is one atomic script, so a connection is removed, and its event published, exactly once.
   */
  async sweep(now = Date.now(), limit = 100): Promise<Array<{ appId: string; frame: PresenceFrame }>> {
    const legacy = this.keys.legacy('presence-channels');
    const indexes = [...this.keys.allShards('presence-channels'), legacy];
    const due = valuesOf(await sendAll(this.redis, indexes.map((k): Command => ['zrangebyscore', k, '-inf', now, 'LIMIT', 0, limit]))) as string[][];
    const swept = await Promise.all(
      due.flatMap((members, i) =>
        members.map(async (m) => {
          const bar = m.indexOf('|');
          const appId = m.slice(0, bar);
          const channel = m.slice(bar + 1);
          const [first, ...frames] = await this.run(PRESENCE_SWEEP, appId, channel, now, []);
          const events = parseEvents(frames);
          await this.afterScript(appId, channel, first, events);
          if (indexes[i] === legacy) await this.redis.zrem(legacy, m);
          return events.map((frame) => ({ appId, frame }));
        }),
      ),
    );
    return swept.flat();
  }

  /** Members with a live connection (lapsed ones are expired first): the count and up to `limit` of them. */
  async hereNow(appId: string, channel: string, limit = 100, now = Date.now()): Promise<HereNow> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new HeraldError('invalid_request', 'limit must be a positive integer');
    const [amount, eventCount, first, ...rest] = await this.run(PRESENCE_HERE_NOW, appId, channel, now, [limit]);
    await this.afterScript(appId, channel, first, parseEvents(rest.slice(0, Number(eventCount))));
    const pairs = rest.slice(Number(eventCount));
    const members: PresenceMember[] = [];
    for (let i = 0; i < pairs.length; i += 2) members.push({ id: String(pairs[i]), data: JSON.parse(String(pairs[i + 1])) as PresenceData });
    return { amount: Number(amount), members };
  }

  /** Whether the user has a live connection on the channel (as last written: a lapsed one counts until swept). */
  async isMember(appId: string, channel: string, userId: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.channel(appId, channel).presenceCount, userId)) === 1;
  }

  /** Which of these users have a live connection on the channel (as isMember: a lapsed one counts until swept). */
  async liveUsers(appId: string, channel: string, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const counts = await this.redis.hmget(this.keys.channel(appId, channel).presenceCount, ...userIds);
    return new Set(userIds.filter((_, i) => counts[i] !== null));
  }

  /**
   * Member counts of several channels in one round trip, without expiring lapsed leases (a listing:
   * hereNow is the exact read). A crashed gateway's members count until the sweep removes them.
   */
  async memberCounts(appId: string, channels: readonly string[]): Promise<number[]> {
    if (channels.length === 0) return [];
    const res = await sendAll(this.redis, channels.map((c): Command => ['hlen', this.keys.channel(appId, c).presenceCount]));
    return channels.map((_, i) => Number(res[i]?.[1] ?? 0));
  }

  private run(script: FanoutScript, appId: string, channel: string, now: number, args: Array<string | number>): Promise<Reply> {
    // `now` becomes the events' `time` as written: it must be an integer to keep the frame valid.
    if (!Number.isSafeInteger(now)) throw new HeraldError('invalid_request', 'now must be an integer (ms)');
    const k = this.keys.channel(appId, assertChannel(channel));
    return script.variant(this.keys.cluster).run<Reply>(this.redis, [k.presenceConns, k.presenceUsers, k.presenceCount], [k.fanout, channel, now, MAX_EXPIRE_PER_CALL, ...args]);
  }

  /**
   * A script's second step, on other slots: its events onto the events feed (member.joined / member.left
   * for webhooks) and the channel into or out of the presence index, by its earliest lease. A crash in
   * between loses these writes; a member's renewal puts a missing index entry back (renew).
   */
  private async afterScript(appId: string, channel: string, first: string | number, events: readonly PresenceFrame[]): Promise<void> {
    const member = this.keys.member(appId, channel);
    const feed = this.keys.events(appId, channel);
    const commands: Command[] = events.map((f): Command => [
      'xadd', feed, 'MAXLEN', '~', EVENTS_MAXLEN, '*', 'k', member, 'e', f.action === 'join' ? 'member.joined' : 'member.left', 't', f.time,
      'd', JSON.stringify({ id: f.member.id, data: f.member.data, reason: f.action }),
    ]);
    const index = this.keys.presenceIndex(appId, channel);
    commands.push(first === '' ? ['zrem', index, member] : ['zadd', index, first, member]);
    valuesOf(await sendAll(this.redis, commands));
  }
}

function parseEvents(frames: ReadonlyArray<string | number>): PresenceFrame[] {
  return frames.map((f) => JSON.parse(String(f)) as PresenceFrame);
}
