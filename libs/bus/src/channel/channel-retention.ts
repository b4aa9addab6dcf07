import { Cluster } from 'ioredis';
import type { RedisClient } from '../redis.js';
import { RedisKeys } from '../redis-keys.js';
import { fieldOf, type Window } from './channel-log.js';

/** The retention side of the channels' history in Redis (the worker's RetentionJob): find, trim, drop. */
export class ChannelRetention {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

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
