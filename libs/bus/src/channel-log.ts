import { Cluster } from 'ioredis';
import type { RedisClient } from './redis.js';
import { newEpoch } from '@herald/auth';
import { RedisKeys } from './redis-keys.js';
import { ACCEPT_MANY, CHARGE_ACCEPT, DRAIN_LEGACY, RECOVER } from './channel-scripts.js';
import { chargeRefusal, publishCharge, type PlanCaps } from './app-limits.js';

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

/** Messages per ACCEPT_MANY call: a long batch is several calls, so no one script holds Redis for long. */
const ACCEPT_CHUNK = 100;

/** A channel's durable log in Redis: accept (store, number and fan out), recover, read. */
export class ChannelLog {
  constructor(
    private readonly redis: RedisClient,
    readonly keys: RedisKeys,
  ) {}

  /**
   * Accepts a message: its offset, its history entry, its fan-out, its archive feed and its idempotency
   * key in one script. With `charge`, the app's rate and quota are charged first in the same script (one
   * round trip; refused with the 429 of AppLimits, nothing stored); without, the caller charged already.
   * `push` (a Web Push spec's JSON text) rides on the archive entry to the worker's push fan-out.
   */
  async accept(appId: string, channel: string, messageId: string, frameHead: string, window: Window, idemTtlMs: number, now: number, charge?: PlanCaps, push?: string): Promise<Accepted> {
    if (!charge) {
      const [one] = await this.acceptMany(appId, [{ channel, messageId, frameHead, push }], window, idemTtlMs, now);
      if (one.status === 'rejected') throw one.reason;
      return one.value;
    }
    const k = this.keys.channel(appId, channel);
    const c = publishCharge(this.keys, appId, charge, now, 1);
    const reply = await CHARGE_ACCEPT.run<[number, string]>(
      this.redis,
      [k.meta, k.pending, k.history, this.keys.idempotency(appId, channel, messageId), this.keys.archive, ...c.keys],
      [frameHead, newEpoch(), idemTtlMs, now, this.keys.member(appId, channel), channel, k.fanout, window.historySize, window.historyTtlMs, push ?? '', ...c.args],
    );
    if (reply[0] < 0) throw chargeRefusal(reply[0], charge, now);
    return accepted(reply[0], reply[1]);
  }

  /**
   * Accepts already charged messages of one app in the order given (per channel, offsets follow it), as
   * that many `accept`s one after another would, in one script call per ACCEPT_CHUNK messages. The calls
   * go out together on one connection, so Redis runs them in order. A failed call (Redis unreachable)
   * fails its own messages only: the others' outcomes are exact.
   */
  async acceptMany(appId: string, items: readonly ToAccept[], window: Window, idemTtlMs: number, now: number): Promise<Array<PromiseSettledResult<Accepted>>> {
    const epoch = newEpoch(); // used by a channel only if it has no epoch yet
    const chunks: Array<readonly ToAccept[]> = [];
    for (let from = 0; from < items.length; from += ACCEPT_CHUNK) chunks.push(items.slice(from, from + ACCEPT_CHUNK));
    const calls = chunks.map((chunk) => {
      const keys = [this.keys.archive];
      const args: Array<string | number> = [epoch, idemTtlMs, now, window.historySize, window.historyTtlMs];
      for (const m of chunk) {
        const k = this.keys.channel(appId, m.channel);
        keys.push(k.meta, k.pending, k.history, this.keys.idempotency(appId, m.channel, m.messageId));
        args.push(m.frameHead, this.keys.member(appId, m.channel), m.channel, k.fanout, m.push ?? '');
      }
      return ACCEPT_MANY.run<Array<number | string>>(this.redis, keys, args);
    });
    const settled = await Promise.allSettled(calls);
    return settled.flatMap((call, c): Array<PromiseSettledResult<Accepted>> => {
      if (call.status === 'rejected') return chunks[c].map(() => call);
      const reply = call.value;
      return chunks[c].map((_, i) => ({ status: 'fulfilled', value: accepted(Number(reply[2 * i]), String(reply[2 * i + 1])) }));
    });
  }

  /**
   * Appends and publishes, in offset order, what the previous publish path accepted on a channel and left
   * pending for a worker (see channel-scripts.ts, upgrade). Returns how many frames it moved.
   */
  async drainLegacy(appId: string, channel: string, window: Window, now = Date.now()): Promise<number> {
    const k = this.keys.channel(appId, channel);
    return DRAIN_LEGACY.run<number>(
      this.redis,
      [k.meta, k.pending, k.history, this.keys.archive, this.keys.legacyPendingIndex],
      [k.fanout, this.keys.member(appId, channel), window.historySize, window.historyTtlMs, now],
    );
  }

  /** Channels the previous path left with pending messages (its index of them), a page at a time. */
  async legacyPendingChannels(limit = 1000): Promise<Array<{ appId: string; channel: string }>> {
    return (await this.redis.zrange(this.keys.legacyPendingIndex, '0', String(limit - 1))).map((m) => splitMember(m));
  }

  /** Forgets a legacy pending channel whose app no longer exists. */
  async forgetLegacy(appId: string, channel: string): Promise<void> {
    const k = this.keys.channel(appId, channel);
    await this.redis.multi().del(k.pending).hdel(k.meta, 'a', 'j').zrem(this.keys.legacyPendingIndex, this.keys.member(appId, channel)).exec();
  }

  async recover(appId: string, channel: string, since: { offset: number; epoch: string } | undefined, window: Window, now = Date.now()): Promise<Recovery> {
    const k = this.keys.channel(appId, channel);
    const reply = await RECOVER.run<[string, number, number, ...string[]]>(
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

  /**
   * Retention: trims a channel's history stream to its window (count and age). Entries past the age are
   * already hidden from reads; this gives their memory back on channels that stay busy.
   */
  async trimHistory(appId: string, channel: string, window: Window, now = Date.now()): Promise<number> {
    const k = this.keys.channel(appId, channel);
    let trimmed = await this.redis.xtrim(k.history, 'MAXLEN', window.historySize);
    const minTime = now - window.historyTtlMs;
    for (;;) {
      const head = await this.redis.xrange(k.history, '-', '+', 'COUNT', 100);
      const keep = head.find(([, fields]) => Number(fieldOf(fields, 't')) >= minTime);
      if (keep) {
        if (keep !== head[0]) trimmed += await this.redis.xtrim(k.history, 'MINID', keep[0]);
        return trimmed;
      }
      if (head.length === 0) return trimmed;
      const last = head[head.length - 1][0];
      trimmed += await this.redis.xtrim(k.history, 'MINID', `${Number(last.split('-')[0]) + 1}-0`);
    }
  }

  /**
   * Every channel with a history stream (retention), in pages: `{appId, channel}` from each key name.
   * SCAN sees one server's keys: on a cluster, every master is scanned.
   */
  async *historyChannels(): AsyncGenerator<Array<{ appId: string; channel: string }>> {
    const head = `${this.keys.prefix}{`;
    const servers = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, found] = await server.scan(cursor, 'MATCH', `${escapeGlob(head)}*}:hist`, 'COUNT', 1000);
        cursor = next;
        yield found.flatMap((key) => {
          const member = key.slice(head.length, -'}:hist'.length);
          const i = member.indexOf('|');
          return i > 0 ? [{ appId: member.slice(0, i), channel: member.slice(i + 1) }] : [];
        });
      } while (cursor !== '0');
    }
  }

  /** Drops a channel's history (its app was deleted). */
  async dropHistory(appId: string, channel: string): Promise<void> {
    const k = this.keys.channel(appId, channel);
    await this.redis.del(k.history, k.meta);
  }

}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** An accept script's reply: fresh (1|0), "epoch:offset:channel". */
function accepted(fresh: number, pos: string): Accepted {
  // Epochs and offsets have no ':', channel names may.
  const [epoch, offset] = pos.split(':', 2);
  return { fresh: fresh === 1, epoch, offset: Number(offset), channel: pos.slice(epoch.length + offset.length + 2) };
}

/** `appId|channel` (RedisKeys.member) back into its parts: app ids never contain '|'. */
export function splitMember(member: string): { appId: string; channel: string } {
  const i = member.indexOf('|');
  return { appId: member.slice(0, i), channel: member.slice(i + 1) };
}
