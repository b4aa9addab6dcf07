import { Cluster } from 'ioredis';
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
 * One Redis pub/sub connection per gateway (on a cluster, one per master), subscribed only to the
 * channels its clients hold (reference counted). A channel nobody holds any more stays subscribed for
 * `lingerMs`, so a long-poll client coming back for its next poll does not make the gateway unsubscribe
 * and subscribe again every time (one shared sweep unsubscribes the idle ones).
 *
 * On one Redis: classic SUBSCRIBE; ioredis re-subscribes after a reconnect, and `onResync` then lets the
 * gateway fill whatever it missed meanwhile.
 *
 * On a cluster: sharded pub/sub (SSUBSCRIBE, 'smessage'; the client needs `shardedSubscribers`, see
 * createRedis), one connection per master, each channel on the master owning its slot. When a slot
 * moves (Redis sends an unsolicited SUNSUBSCRIBE) or a master dies (its subscriber connection drops),
 * ioredis refreshes the slot map, connects to the new owner and re-subscribes — without confirming it
 * — then emits 'subscribersReady'. Frames published on the new owner before that were never heard. So
 * on each 'subscribersReady' after the first, every channel is subscribed again and awaited (its
 * confirmation comes after ioredis's own), and only then `onResync` reads each channel's history from
 * the last offset delivered (the gateway's ChannelContinuity.resyncAll): nothing published once the
 * subscription is live is missed, and what was published before is read from history (or announced as
 * a reset).
 */
export class FanoutSubscriber {
  private readonly byRedisChannel = new Map<string, Entry>();
  private connectedOnce = false;
  private readonly sweepTimer?: NodeJS.Timeout;
  private readonly sharded: boolean;
  /** A re-subscription pass is running; `again` asks for one more after it (another topology change). */
  private resubscribing = false;
  private again = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    onFrame: FanoutHandler,
    private readonly onResync: () => void | Promise<void>,
    private readonly lingerMs = 0,
  ) {
    this.sharded = redis instanceof Cluster;
    if (lingerMs > 0) {
      this.sweepTimer = setInterval(() => this.unsubscribeIdle(Date.now()), Math.max(100, lingerMs / 2));
      this.sweepTimer.unref();
    }
    redis.on(this.sharded ? 'smessage' : 'message', (redisChannel: string, frame: string) => {
      const entry = this.byRedisChannel.get(redisChannel);
      if (entry) onFrame(entry.appId, entry.channel, frame);
    });
    if (this.sharded) {
      // Also emitted once at start (nothing held yet: a no-op), so every one is acted on.
      redis.on('subscribersReady', () => void this.resubscribeAll());
    } else {
      redis.on('ready', () => {
        if (this.connectedOnce) void this.onResync();
        this.connectedOnce = true;
      });
    }
  }

  /** Every held channel subscribed again on its slot's (possibly new) owner, confirmed, then the resync. */
  private async resubscribeAll(): Promise<void> {
    if (this.resubscribing) {
      this.again = true;
      return;
    }
    this.resubscribing = true;
    try {
      do {
        this.again = false;
        // A channel whose master is still unreachable fails here: the next topology change retries it.
        // (ioredis then lists the channel twice for its own re-subscriptions: harmless, and only per topology change.)
        await Promise.all([...this.byRedisChannel.keys()].map((name) => this.redis.ssubscribe(name).catch(() => undefined)));
        if (this.byRedisChannel.size > 0) await this.onResync();
      } while (this.again);
    } finally {
      this.resubscribing = false;
    }
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
    const ready = this.sharded ? this.redis.ssubscribe(name) : this.redis.subscribe(name);
    this.byRedisChannel.set(name, { appId, channel, refs: 1, ready, idleSince: 0 });
    try {
      await ready;
    } catch (e) {
      // Not subscribed (its master unreachable): forget it, so the next subscriber tries again.
      if (this.byRedisChannel.get(name)?.ready === ready) this.byRedisChannel.delete(name);
      throw e;
    }
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
    await this.unsubscribe([name]);
  }

  private unsubscribeIdle(now: number): void {
    const idle: string[] = [];
    for (const [name, e] of this.byRedisChannel) {
      if (e.refs === 0 && e.idleSince > 0 && now - e.idleSince >= this.lingerMs) idle.push(name);
    }
    if (idle.length === 0) return;
    for (const name of idle) this.byRedisChannel.delete(name);
    this.unsubscribe(idle).catch(() => undefined); // a failed unsubscribe only costs traffic
  }

  /** A sharded unsubscribe names channels of one slot: one call per channel. */
  private async unsubscribe(names: string[]): Promise<void> {
    if (!this.sharded) await this.redis.unsubscribe(...names);
    else await Promise.all(names.map((n) => this.redis.sunsubscribe(n)));
  }

  close(): void {
    clearInterval(this.sweepTimer);
  }

  get size(): number {
    return this.byRedisChannel.size;
  }
}
