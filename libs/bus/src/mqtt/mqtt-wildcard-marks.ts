import type { RedisClient } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import { sendAll, valuesOf, type Command } from '../commands.js';

/**
 * How long an accepting process trusts what it read of an app's mark (ms). A gateway that starts holding
 * an app's wildcard filters waits this long after marking it before its SUBACK: by then no process still
 * trusts an older "unmarked" read (docs/mqtt.md#wildcard-subscriptions).
 */
export const WILDCARD_MARK_CACHE_MS = 1_000;

/** Apps whose read a process keeps at most before forgetting the expired ones. */
const MAX_CACHED_APPS = 10_000;

/**
 * MQTT wildcard subscriptions on a Redis Cluster (issue 16). The fan-out there is sharded (SPUBLISH),
 * which has no pattern subscription, so an app with live wildcard filters is marked: a per-app ZSET of
 * the gateways holding such filters (gatewayId → lease expiry, slot family `{appId}`), leased and renewed
 * like connection slots. The accept path reads the mark (cached WILDCARD_MARK_CACHE_MS per process) and,
 * when set, has the accept script also PUBLISH each frame on the app's classic channel
 * (RedisKeys.mqttWildcardFanout), which the cluster broadcasts to every node; the holding gateways
 * subscribe to it and match topics locally. An app without wildcard filters costs one cached read
 * (ZCOUNT) per process and second, and its frames cross only their shard. One Redis never uses this
 * (its gateways pattern-subscribe to the classic fan-out).
 */
export class MqttWildcardMarks {
  /** Per app: until when (ms) a read is trusted, and its answer (shared while in flight). */
  private readonly cache = new Map<string, { until: number; fanout: Promise<string> }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Accept side: the classic channel the app's frames must also be published on, or '' when no gateway
   * holds a wildcard filter of it. Read at most once per WILDCARD_MARK_CACHE_MS; the time counts from
   * the read's start, so a cached answer is never older than that.
   */
  fanoutOf(appId: string): Promise<string> {
    const now = Date.now();
    const hit = this.cache.get(appId);
    if (hit && hit.until > now) return hit.fanout;
    if (this.cache.size >= MAX_CACHED_APPS) for (const [app, c] of this.cache) if (c.until <= now) this.cache.delete(app);
    const fanout = this.redis.zcount(this.keys.mqttWildcardHolders(appId), now, '+inf').then(
      (n) => (n > 0 ? this.keys.mqttWildcardFanout(appId) : ''),
      // Unreadable (the app's slot failing over): publish there too. A wasted broadcast at worst, never a
      // wildcard subscriber silently missing a message.
      () => this.keys.mqttWildcardFanout(appId),
    );
    this.cache.set(appId, { until: now + WILDCARD_MARK_CACHE_MS, fanout });
    return fanout;
  }

  /**
   * Gateway side: marks the apps as held by `gatewayId` for `leaseMs` (the first hold and each renewal,
   * which also re-creates a mark Redis lost), and drops holders whose lease ran out.
   */
  async hold(appIds: Iterable<string>, gatewayId: string, leaseMs: number, now = Date.now()): Promise<void> {
    const commands: Command[] = [];
    for (const appId of appIds) {
      const key = this.keys.mqttWildcardHolders(appId);
      commands.push(['zadd', key, now + leaseMs, gatewayId], ['zremrangebyscore', key, '-inf', now], ['pexpire', key, 2 * leaseMs]);
    }
    valuesOf(await sendAll(this.redis, commands));
  }

  /** Gateway side: its last wildcard filter of the app is gone. Other holders keep the mark. */
  async release(appId: string, gatewayId: string): Promise<void> {
    await this.redis.zrem(this.keys.mqttWildcardHolders(appId), gatewayId);
  }
}
