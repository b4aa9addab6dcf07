import type { Redis } from 'ioredis';
import { RedisKeys } from './redis-keys.js';

export type FanoutHandler = (appId: string, channel: string, frame: string) => void;

/**
 * One Redis pub/sub connection per gateway, subscribed only to the channels its clients hold
 * (reference counted). ioredis re-subscribes after a reconnect; `onResync` then lets the gateway fill
 * whatever it missed while the connection was down.
 */
export class FanoutSubscriber {
  private readonly byRedisChannel = new Map<string, { appId: string; channel: string; refs: number; ready: Promise<unknown> }>();
  private connectedOnce = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    onFrame: FanoutHandler,
    onResync: () => void,
  ) {
    redis.on('message', (redisChannel: string, frame: string) => {
      const entry = this.byRedisChannel.get(redisChannel);
      if (entry) onFrame(entry.appId, entry.channel, frame);
    });
    redis.on('ready', () => {
      if (this.connectedOnce) onResync();
      this.connectedOnce = true;
    });
  }

  async add(appId: string, channel: string): Promise<void> {
    const name = this.keys.channel(appId, channel).fanout;
    const entry = this.byRedisChannel.get(name);
    if (entry) {
      entry.refs++;
      await entry.ready; // live only once Redis confirmed the subscription
      return;
    }
    const ready = this.redis.subscribe(name);
    this.byRedisChannel.set(name, { appId, channel, refs: 1, ready });
    await ready;
  }

  async remove(appId: string, channel: string): Promise<void> {
    const name = this.keys.channel(appId, channel).fanout;
    const entry = this.byRedisChannel.get(name);
    if (!entry || --entry.refs > 0) return;
    this.byRedisChannel.delete(name);
    await this.redis.unsubscribe(name);
  }

  get size(): number {
    return this.byRedisChannel.size;
  }
}
