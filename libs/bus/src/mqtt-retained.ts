import type { RedisClient } from './redis.js';
import type { RedisKeys } from './redis-keys.js';

/**
 * MQTT retained messages (issue 17): the last PUBLISH with the retain flag per channel, given to every
 * new MQTT subscriber of it; an empty retained payload clears it. Kept as long as the channel's history
 * (the app's history TTL), so a tenant's retained topics cannot outlive what it pays to keep.
 */
export class MqttRetained {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  get(appId: string, channel: string): Promise<string | null> {
    return this.redis.get(this.keys.channel(appId, channel).retained);
  }

  async set(appId: string, channel: string, payload: string, ttlSeconds: number): Promise<void> {
    const key = this.keys.channel(appId, channel).retained;
    if (payload === '') await this.redis.del(key);
    else await this.redis.set(key, payload, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }
}
