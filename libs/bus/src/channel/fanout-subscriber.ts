import type { RedisClient } from '../redis.js';
import { RedisKeys } from '../redis-keys.js';

export type FanoutHandler = (appId: string, channel: string, frame: string) => void;

interface Entry {
  appId: string;
  channel: string;
  refs: number;
  ready: Promise<unknown>;
  /** When refs dropped to 0 (the subscription lingers); 0 while referenced. */
  idleSince: number;
}

/**
 * One Redis pub/sub connection per gateway, subscribed only to the channels its clients hold
 * (reference counted). A channel nobody holds any more stays subscribed for `lingerMs`, so a
 * long-poll client coming back for its next poll does not make the gateway unsubscribe and
 * subscribe again every time (one shared sweep unsubscribes the idle ones). ioredis re-subscribes
 * after a reconnect; `onResync` then lets the gateway fill whatever it missed meanwhile.
 */
export class FanoutSubscriber {
  private readonly byRedisChannel = new Map<string, Entry>();
  private connectedOnce = false;
  private readonly sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    onFrame: FanoutHandler,
    onResync: () => void,
    private readonly lingerMs = 0,
  ) {
    if (lingerMs > 0) {
      this.sweepTimer = setInterval(() => this.unsubscribeIdle(Date.now()), Math.max(100, lingerMs / 2));
      this.sweepTimer.unref();
    }
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
      entry.idleSince = 0;
      await entry.ready; // live only once RedisClient confirmed the subscription
      return;
    }
    const ready = this.redis.subscribe(name);
    this.byRedisChannel.set(name, { appId, channel, refs: 1, ready, idleSince: 0 });
    await ready;
  }

  async remove(appId: string, channel: string): Promise<void> {
    const name = this.keys.channel(appId, channel).fanout;
    const entry = this.byRedisChannel.get(name);
    if (!entry || --entry.refs > 0) return;
    if (this.lingerMs > 0) {
      entry.idleSince = Date.now();
      return;
    }
    this.byRedisChannel.delete(name);
    await this.redis.unsubscribe(name);
  }

  private unsubscribeIdle(now: number): void {
    const idle: string[] = [];
    for (const [name, e] of this.byRedisChannel) {
      if (e.refs === 0 && e.idleSince > 0 && now - e.idleSince >= this.lingerMs) idle.push(name);
    }
    if (idle.length === 0) return;
    for (const name of idle) this.byRedisChannel.delete(name);
    this.redis.unsubscribe(...idle).catch(() => undefined); // a failed unsubscribe only costs traffic
  }

  close(): void {
    clearInterval(this.sweepTimer);
  }

  get size(): number {
    return this.byRedisChannel.size;
  }
}
