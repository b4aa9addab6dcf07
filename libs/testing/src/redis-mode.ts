import { Cluster, type Redis } from 'ioredis';
import { testRedisClient } from './redis-cleanup.js';
import { keySlot } from './redis-cluster.js';
import { testSettings } from './test-settings.js';

/**
 * True when this run's Redis is a cluster (`npm test -- --redis-cluster` sets REDIS_CLUSTER_NODES):
 * for `test(..., { skip: onCluster() && 'one Redis only: why' })` and for asserting a cluster's own
 * behaviour where it differs (docs/scaling.md#what-differs-on-a-cluster).
 */
export function onCluster(): boolean {
  return testSettings().redisCluster;
}

/**
 * Publishes on a channel's fan-out as Herald's scripts do: classic PUBLISH on one Redis, sharded SPUBLISH
 * on a cluster (the fan-out name carries the channel's slot; a classic PUBLISH never reaches a gateway there).
 */
export async function publishFanout(redis: Redis | Cluster, fanout: string, frame: string): Promise<void> {
  if (redis instanceof Cluster) await redis.spublish(fanout, frame);
  else await redis.publish(fanout, frame);
}

/**
 * How many connections Redis counts as subscribed to a fan-out channel: PUBSUB NUMSUB on one Redis;
 * on a cluster PUBSUB SHARDNUMSUB asked of the master owning the channel's slot (a sharded subscription
 * lives there only, and PUBSUB names no key the client could route by).
 */
export async function fanoutSubscribers(redis: Redis | Cluster, fanout: string): Promise<number> {
  if (!(redis instanceof Cluster)) return Number(((await redis.pubsub('NUMSUB', fanout)) as [string, number])[1]);
  const owner = redis.slots[keySlot(fanout)]?.[0];
  const master = owner && redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
  if (!master) throw new Error(`no master known for ${fanout}`);
  return Number(((await master.call('PUBSUB', 'SHARDNUMSUB', fanout)) as [string, number])[1]);
}

/**
 * A raw subscriber to fan-out channels, in the mode Herald publishes them: SUBSCRIBE on one Redis,
 * SSUBSCRIBE on a cluster (a client with sharded subscribers). Records what each channel carried, in order.
 */
export class FanoutListener {
  private readonly received = new Map<string, string[]>();
  private readonly client: Redis | Cluster;

  constructor(env: Record<string, string | undefined> = {}) {
    this.client = testRedisClient(env, { shardedSubscribers: true });
    this.client.on(this.client instanceof Cluster ? 'smessage' : 'message', (channel: string, text: string) => this.record(channel, text));
  }

  /** Subscribes to fan-out channels; resolves once Redis confirmed (what is published after is heard). */
  async listen(...fanouts: string[]): Promise<void> {
    const client = this.client;
    // A sharded subscribe names channels of one slot: one call per channel.
    if (client instanceof Cluster) await Promise.all(fanouts.map((f) => client.ssubscribe(f)));
    else await client.subscribe(...fanouts);
  }

  /** What `fanout` carried so far, oldest first (a live array). */
  frames(fanout: string): string[] {
    let list = this.received.get(fanout);
    if (!list) this.received.set(fanout, (list = []));
    return list;
  }

  close(): void {
    this.client.disconnect();
  }

  private record(channel: string, text: string): void {
    this.frames(channel).push(text);
  }
}
