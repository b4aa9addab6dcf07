import type { RedisClient } from '../redis.js';
import { RedisKeys } from '../redis-keys.js';

/**
 * The usage index (in the app's shard, another slot than the app's counters) learns of an app's minute
 * before its first counter is written, so the roll-up never misses counted messages: a crash in between
 * leaves at worst an indexed minute with no counts (rolled up as zeros). Remembered per process for the
 * current minute, so it costs one command per app and minute, not one per publish.
 */
export class MinuteIndex {
  private minute = -1;
  private readonly indexed = new Set<string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async ensure(appId: string, minute: number): Promise<void> {
    if (minute === this.minute && this.indexed.has(appId)) return;
    await this.redis.zadd(this.keys.usageIndex(appId), 'NX', minute, `${appId}|${minute}`);
    if (minute !== this.minute) {
      if (minute < this.minute) return; // a caller with an older clock: not remembered
      this.minute = minute;
      this.indexed.clear();
    }
    this.indexed.add(appId);
  }
}
