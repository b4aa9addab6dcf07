import { createRequire } from 'node:module';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '../redis.js';
import { newEpoch } from '@herald/auth';
import { HeraldError } from '@herald/protocol';
import { ArchiveFeedFailed, NotReplicated, unreachable } from './accept-errors.js';
import { RedisKeys } from '../redis-keys.js';
import { ACCEPT, DRAIN_LEGACY, RECOVER } from './channel-scripts.js';
import { MqttWildcardMarks } from '../mqtt/mqtt-wildcard-marks.js';
import { PublishRefused } from '../limits/plan-usage.js';
import type { PublishCharge } from '../limits/app-limits.js';

export interface Accepted {
  /** false when the message id was seen within the idempotency window: nothing new was stored. */
  fresh: boolean;
  epoch: string;
  offset: number;
  /** The channel the id was first accepted on (differs from the request's on a reused id). */
  channel: string;
}

/** One message to accept: its channel, id and frame (JSON object text without its closing brace). */
export interface ToAccept {
  channel: string;
  messageId: string;
  frameHead: string;
  /** Its Web Push spec as JSON text, carried on the archive entry for the worker's push fan-out. */
  push?: string;
}

export interface Window {
  historySize: number;
  historyTtlMs: number;
}

export interface Recovery {
  epoch: string;
  /** The channel's newest appended offset. */
  top: number;
  recovered: boolean;
  /** Missed frames, oldest first (empty unless recovered). */
  frames: string[];
}

export interface HistoryPage {
  epoch: string;
  top: number;
  frames: string[];
}

/** A stored frame the caller appends to the archive feed (a cluster's second step), with its push spec. */
interface ToFeed {
  idem: string;
  frame: string;
  retried: boolean;
  push?: string;
}

/** Messages per ACCEPT call: a long batch is several calls, so no one script holds Redis for long. */
const ACCEPT_CHUNK = 100;

/** HERALD_REDIS_WAIT_REPLICAS / _TIMEOUT_MS: the replicas an accept must reach before it is acknowledged. */
export interface Replication {
  replicas: number;
  timeoutMs: number;
}


// The slot of a key as ioredis routes it (CRC16 of its hash tag); the package ships no types.
const keySlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** A channel's durable log in Redis: accept (store, number and fan out), recover, read. */
export class ChannelLog {
  constructor(
    private readonly redis: RedisClient,
    readonly keys: RedisKeys,
    private readonly replication: Replication = { replicas: 0, timeoutMs: 1_000 },
    /** Cluster mode: which apps' frames also go to their MQTT wildcard subscribers (one per process: it caches). */
    private readonly wildcards = new MqttWildcardMarks(redis, keys),
  ) {}

  /**
   * Accepts a message (already charged: AppLimits.chargePublish): its offset, its history entry, its
   * fan-out and its idempotency key in one script on the channel's slot, then its archive feed entry.
   */
  async accept(appId: string, channel: string, messageId: string, frameHead: string, window: Window, idemTtlMs: number, now: number, push?: string): Promise<Accepted> {
    const [one] = await this.acceptMany(appId, [{ channel, messageId, frameHead, push }], window, idemTtlMs, now);
    if (one.status === 'rejected') throw one.reason;
    return one.value;
  }

  /**
   * Accepts already charged messages of one app in the order given (per channel, offsets follow it), as
   * that many `accept`s one after another would: one script call per channel and ACCEPT_CHUNK messages
   * (a script may only touch its channel's slot). The calls go out together, those of one channel on
   * one connection, so Redis runs them in order. A failed call (Redis unreachable) fails its own
   * messages only: the others' outcomes are exact.
   * With `charge` (messages `chargedInline` only: one Redis, one call) they are not charged yet: the
   * script charges them first, all or none, and a refused charge throws its 429 having stored nothing.
   */
  async acceptMany(appId: string, items: readonly ToAccept[], window: Window, idemTtlMs: number, now: number, charge?: PublishCharge): Promise<Array<PromiseSettledResult<Accepted>>> {
    if (charge && !this.chargedInline(items)) throw new Error('a charge runs inside ACCEPT on one Redis, for one call only');
    const epoch = newEpoch(); // used by a channel only if it has no epoch yet
    const byChannel = new Map<string, number[]>();
    items.forEach((m, i) => {
      const list = byChannel.get(m.channel);
      if (list) list.push(i);
      else byChannel.set(m.channel, [i]);
    });
    const out = new Array<PromiseSettledResult<Accepted>>(items.length);
    const calls: Array<Promise<void>> = [];
    for (const [channel, indexes] of byChannel) {
      for (let from = 0; from < indexes.length; from += ACCEPT_CHUNK) {
        const chunk = indexes.slice(from, from + ACCEPT_CHUNK);
        const call = this.acceptOnChannel(appId, channel, chunk.map((i) => items[i]), window, idemTtlMs, now, epoch, charge);
        calls.push(
          call.then(
            (accepted) => chunk.forEach((i, j) => (out[i] = { status: 'fulfilled', value: accepted[j] })),
            (reason: unknown) => {
              if (reason instanceof PublishRefused) throw reason;
              chunk.forEach((i) => (out[i] = { status: 'rejected', reason }));
            },
          ),
        );
      }
    }
    await Promise.all(calls);
    return out;
  }

  /** Whether `acceptMany` can charge these messages in its script: on one Redis, when they are one call (one channel, ACCEPT_CHUNK at most). */
  chargedInline(items: ReadonlyArray<{ channel: string }>): boolean {
    return !this.keys.cluster && items.length > 0 && items.length <= ACCEPT_CHUNK && items.every((m) => m.channel === items[0].channel);
  }

  /**
   * One ACCEPT call (messages of one channel). On one Redis the script feeds the archive too (all or
   * nothing), and charges the app first when given its `charge`; on a cluster the feed is another slot,
   * so what it stored is fed here, second.
   */
  private async acceptOnChannel(appId: string, channel: string, items: readonly ToAccept[], window: Window, idemTtlMs: number, now: number, epoch: string, charge?: PublishCharge): Promise<Accepted[]> {
    const k = this.keys.channel(appId, channel);
    const idem = items.map((m) => this.keys.idempotency(appId, channel, m.messageId));
    const inline = !this.keys.cluster;
    const keys = inline ? [k.meta, k.history, k.unfed, this.keys.archive(appId, channel), ...(charge?.keys ?? []), ...idem] : [k.meta, k.history, k.unfed, ...idem];
    const member = inline ? this.keys.member(appId, channel) : '';
    // The app's MQTT wildcard fan-out (MqttWildcardMarks): a cluster only; one Redis's gateways pattern-subscribe the channels' own.
    const args: Array<string | number> = [epoch, idemTtlMs, now, window.historySize, window.historyTtlMs, channel, k.fanout, member, this.keys.cluster ? await this.wildcards.fanoutOf(appId) : ''];
    args.push(...(charge?.args ?? NO_CHARGE));
    for (const m of items) args.push(m.frameHead, m.push ?? '');
    const script = ACCEPT.variant(this.keys.cluster);
    let reply = await script.run<Array<number | string>>(this.redis, keys, args).catch(unreachable);
    if (reply[0] === UPGRADE_FIRST) {
      await this.drainLegacy(appId, channel, window, now);
      reply = await script.run<Array<number | string>>(this.redis, keys, args).catch(unreachable);
    }
    if (charge && (reply[0] === RATE_REFUSED || reply[0] === QUOTA_REFUSED)) throw charge.refusal(reply[0]);
    const accepted: Accepted[] = [];
    const toFeed: ToFeed[] = [];
    for (let i = 0; i < reply.length; i += 3) {
      const one = acceptedOf(Number(reply[i]), String(reply[i + 1]));
      accepted.push(one);
      if (reply[i + 2]) toFeed.push({ idem: idem[i / 3], frame: String(reply[i + 2]), retried: !one.fresh, push: items[i / 3].push });
    }
    await this.feedArchive(appId, channel, toFeed, idemTtlMs);
    await this.awaitReplicas(k.meta);
    return accepted;
  }

  /**
   * HERALD_REDIS_WAIT_REPLICAS=n: the accept is acknowledged only once n replicas of the channel's master
   * have its writes (WAIT n timeout). A script cannot WAIT, and WAIT counts the writes of the connection
   * it is sent on: it goes on the connection the accept went through — on a cluster, the master
   * connection serving the channel's slot. A duplicate's accept rewrites the history's TTL, so its WAIT
   * also covers the first acceptance (earlier in the master's one replication stream). Not confirmed in
   * time: 503 not_replicated — the message is stored and may have been delivered; a retry with the same
   * id is answered as a duplicate, once replicated.
   */
  private async awaitReplicas(key: string): Promise<void> {
    const { replicas, timeoutMs } = this.replication;
    if (replicas === 0) return;
    let confirmed: number;
    try {
      confirmed = Number(await this.masterOf(key).call('WAIT', replicas, timeoutMs));
    } catch (e) {
      throw new NotReplicated(`WAIT failed: ${(e as Error).message}`);
    }
    if (confirmed < replicas) throw new NotReplicated(`${confirmed} of ${replicas} replicas confirmed within ${timeoutMs} ms`);
  }

  /** The connection that runs `key`'s commands: the one Redis, or the master the cluster client routes its slot to. */
  private masterOf(key: string): Redis {
    if (!(this.redis instanceof Cluster)) return this.redis;
    const owner = this.redis.slots[keySlot(key)]?.[0];
    const node = owner && this.redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
    if (!node) throw new Error(`no master known for ${key}`);
    return node;
  }

  /**
   * The second step of an accept on a cluster: its frames, in offset order, onto the archive feed (the
   * channel's shard, another slot). The publisher is answered after it. When it fails the publish fails (503)
   * and the messages are marked unfed in their channel's slot, so a retry with the same id, answered as
   * a duplicate, feeds them then (and clears the mark). Consumers are idempotent (archive rows and
   * webhook deliveries are keyed by channel, epoch and offset): a frame fed twice is stored and
   * announced once.
   */
  private async feedArchive(appId: string, channel: string, items: readonly ToFeed[], idemTtlMs: number): Promise<void> {
    if (items.length === 0) return;
    const k = this.keys.channel(appId, channel);
    const feed = this.keys.archive(appId, channel);
    const member = this.keys.member(appId, channel);
    try {
      await Promise.all(items.map((m) => (m.push ? this.redis.xadd(feed, '*', 'k', member, 'f', m.frame, 'p', m.push) : this.redis.xadd(feed, '*', 'k', member, 'f', m.frame))));
    } catch (e) {
      await this.redis.multi().sadd(k.unfed, ...items.map((m) => m.idem)).pexpire(k.unfed, idemTtlMs).exec().catch(() => undefined);
      throw new ArchiveFeedFailed((e as Error).message);
    }
    const retried = items.filter((m) => m.retried).map((m) => m.idem);
    if (retried.length > 0) await this.redis.srem(k.unfed, ...retried);
  }

  /**
   * Appends and publishes, in offset order, what the previous publish path accepted on a channel and left
   * pending for a worker (see channel-scripts.ts), feeds them to the archive, then forgets the channel in
   * the previous path's index. Returns how many frames it moved.
   */
  async drainLegacy(appId: string, channel: string, window: Window, now = Date.now()): Promise<number> {
    const k = this.keys.channel(appId, channel);
    const args = [k.fanout, window.historySize, window.historyTtlMs, now, this.keys.cluster ? await this.wildcards.fanoutOf(appId) : '', channel];
    const frames = await DRAIN_LEGACY.variant(this.keys.cluster).run<string[]>(this.redis, [k.meta, k.pending, k.history], args);
    if (frames.length > 0) {
      const feed = this.keys.archive(appId, channel);
      const member = this.keys.member(appId, channel);
      await Promise.all(frames.map((f) => this.redis.xadd(feed, '*', 'k', member, 'f', f)));
    }
    await this.redis.zrem(this.keys.legacyPendingIndex, this.keys.member(appId, channel));
    return frames.length;
  }

  /** Channels the previous path left with pending messages (its index of them), a page at a time. */
  async legacyPendingChannels(limit = 1000): Promise<Array<{ appId: string; channel: string }>> {
    return (await this.redis.zrange(this.keys.legacyPendingIndex, '0', String(limit - 1))).map((m) => splitMember(m));
  }

  /** Forgets a legacy pending channel whose app no longer exists. */
  async forgetLegacy(appId: string, channel: string): Promise<void> {
    const k = this.keys.channel(appId, channel);
    await this.redis.multi().del(k.pending).hdel(k.meta, 'a', 'j').exec();
    await this.redis.zrem(this.keys.legacyPendingIndex, this.keys.member(appId, channel));
  }

  async recover(appId: string, channel: string, since: { offset: number; epoch: string } | undefined, window: Window, now = Date.now()): Promise<Recovery> {
    const k = this.keys.channel(appId, channel);
    const reply = await RECOVER.variant(this.keys.cluster).run<[string, number, number, ...string[]]>(
      this.redis,
      [k.meta, k.history],
      [newEpoch(), since ? since.offset : -1, since ? since.epoch : '', now - window.historyTtlMs, window.historySize],
    );
    const [epoch, top, recovered, ...frames] = reply;
    return { epoch, top: Number(top), recovered: recovered === 1, frames };
  }

  /** Frames with from ≤ offset ≤ to, as far as the window still holds them (gap filling). */
  async range(appId: string, channel: string, from: number, to: number): Promise<string[]> {
    const k = this.keys.channel(appId, channel);
    const entries = await this.redis.xrange(k.history, `${from}-0`, `${to}-0`);
    return entries.map(([, fields]) => fieldOf(fields, 'f')).filter((f): f is string => f !== undefined);
  }

  /** History reads: newest `limit` frames (before offset `before`, if given), or the first `limit` after `since`; oldest first. */
  async history(appId: string, channel: string, q: { limit: number; since?: number; before?: number; minTime: number }): Promise<HistoryPage> {
    const k = this.keys.channel(appId, channel);
    const multi = this.redis.multi().hmget(k.meta, 'e', 's', 'a');
    if (q.since !== undefined) multi.xrange(k.history, `${q.since + 1}-0`, '+', 'COUNT', q.limit);
    else if (q.before !== undefined && q.before <= 1) multi.xrevrange(k.history, '0-0', '0-0', 'COUNT', 1);
    else multi.xrevrange(k.history, q.before !== undefined ? `${q.before - 1}-0` : '+', '-', 'COUNT', q.limit);
    const res = await multi.exec();
    if (!res) throw new Error('history transaction aborted');
    for (const [err] of res) if (err) throw err;
    const [epoch, last, legacyTop] = res[0][1] as [string | null, string | null, string | null];
    const top = legacyTop ?? last; // a channel the previous path left pending: its last appended offset
    let entries = res[1][1] as [string, string[]][];
    if (q.since === undefined) entries = entries.reverse();
    if (q.before !== undefined && q.before <= 1) entries = [];
    const frames = entries
      .filter(([, fields]) => Number(fieldOf(fields, 't')) >= q.minTime)
      .map(([, fields]) => fieldOf(fields, 'f'))
      .filter((f): f is string => f !== undefined);
    return { epoch: epoch ?? '', top: Number(top ?? 0), frames };
  }
}


/** A field of a history stream entry (`f` the frame, `t` the time). */
export function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** ACCEPT's answer for a channel an older version left pending: drain it first. */
const UPGRADE_FIRST = -3;
/** ACCEPT's answers when its charge refused the publishes (CHARGE's codes). */
const RATE_REFUSED = -1;
const QUOTA_REFUSED = -2;
/** ACCEPT's charge arguments when the call does not charge. */
const NO_CHARGE = ['', '', '', '', ''];

/** An accept script's reply: fresh (1|0), "epoch:offset:channel". */
function acceptedOf(fresh: number, pos: string): Accepted {
  // Epochs and offsets have no ':', channel names may.
  const [epoch, offset] = pos.split(':', 2);
  return { fresh: fresh === 1, epoch, offset: Number(offset), channel: pos.slice(epoch.length + offset.length + 2) };
}

/** `appId|channel` (RedisKeys.member) back into its parts: app ids never contain '|'. */
export function splitMember(member: string): { appId: string; channel: string } {
  const i = member.indexOf('|');
  return { appId: member.slice(0, i), channel: member.slice(i + 1) };
}
