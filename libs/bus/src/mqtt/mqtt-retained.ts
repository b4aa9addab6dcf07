import type { RedisClient } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';

/**
 * MQTT retained messages (issue 17): the last PUBLISH with the retain flag per channel, given to every
 * new MQTT subscriber of it; an empty retained payload clears it. Kept as long as the channel's history
 * (the app's history TTL), so a tenant's retained topics cannot outlive what it pays to keep. A per-app
 * index (channel → expiry) lets a wildcard subscription find the retained channels it matches.
 */
export class MqttRetained {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  get(appId: string, channel: string): Promise<string | null> {
    return this.redis.get(this.keys.channel(appId, channel).retained);
  }

  async set(appId: string, channel: string, payload: string, ttlSeconds: number, now = Date.now()): Promise<void> {
    const key = this.keys.channel(appId, channel).retained;
    const index = this.keys.mqttRetainedIndex(appId);
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    if (payload === '') {
      await this.redis.del(key);
      await this.redis.zrem(index, channel);
      return;
    }
    await this.redis.set(key, payload, 'EX', ttl);
    await this.redis.zadd(index, now + ttl * 1000, channel);
    await this.redis.expire(index, ttl);
  }

  /**
   * The retained messages of the app's channels that `matches` accepts, reading at most `scanLimit`
   * retained channels of the app (the earliest to expire first): a bounded read per wildcard SUBSCRIBE.
   */
  async matching(appId: string, matches: (channel: string) => boolean, scanLimit: number, now = Date.now()): Promise<Array<{ channel: string; payload: string }>> {
    const index = this.keys.mqttRetainedIndex(appId);
    await this.redis.zremrangebyscore(index, '-inf', now);
    const channels = (await this.redis.zrangebyscore(index, now, '+inf', 'LIMIT', 0, scanLimit)).filter(matches);
    const payloads = await Promise.all(channels.map((channel) => this.get(appId, channel)));
    const found: Array<{ channel: string; payload: string }> = [];
    channels.forEach((channel, i) => {
      const payload = payloads[i];
      if (payload !== null) found.push({ channel, payload });
    });
    return found;
  }
}
