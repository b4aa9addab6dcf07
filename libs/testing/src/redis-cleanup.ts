import { Cluster, Redis } from 'ioredis';
import { loadConfig, environment, type HeraldConfig } from '@herald/config';

type RedisTarget = Pick<HeraldConfig, 'redisUrl' | 'redisClusterNodes'>;

/**
 * A client of the Redis the apps of `env` use (the test runner's environment merged with a stack's):
 * a Redis Cluster client when REDIS_CLUSTER_NODES is set (`npm test -- --redis-cluster`), else one Redis.
 */
export function testRedisClient(env: Record<string, string | undefined> = {}, opts: { lazyConnect?: boolean; shardedSubscribers?: boolean } = {}): Redis | Cluster {
  return clientOf(loadConfig({ ...environment(), ...env }), opts);
}

/** `shardedSubscribers`: on a cluster, SSUBSCRIBE goes to each slot's master ('smessage'); ignored on one Redis. */
function clientOf(target: RedisTarget, opts: { lazyConnect?: boolean; failFast?: boolean; shardedSubscribers?: boolean } = {}): Redis | Cluster {
  const failFast = opts.failFast ? { connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null } : {};
  if (target.redisClusterNodes) {
    return new Cluster(target.redisClusterNodes, {
      lazyConnect: opts.lazyConnect,
      shardedSubscribers: opts.shardedSubscribers,
      redisOptions: failFast,
      ...(opts.failFast ? { clusterRetryStrategy: () => null } : {}),
    });
  }
  return new Redis(target.redisUrl, { lazyConnect: opts.lazyConnect, ...failFast });
}

/**
 * Deletes the keys under `prefix` and those whose hash tag starts with it (`{prefix…}`: the sharded
 * streams and indexes, the work queues, BullMQ's single prefix in cluster mode) (SCAN + UNLINK on every
 * master of a cluster), best effort and bounded: at most `maxKeys` keys and `timeoutMs` in all, so a
 * stop() never hangs on a huge or unreachable Redis. `target` is a Redis URL or a config naming one
 * Redis or a cluster. Returns how many keys were unlinked.
 */
export async function dropRedisPrefix(target: string | RedisTarget, prefix: string, opts: { maxKeys?: number; timeoutMs?: number } = {}): Promise<number> {
  if (!/^[A-Za-z0-9_.:-]+$/.test(prefix)) throw new Error(`refusing to drop Redis prefix ${JSON.stringify(prefix)}: not a plain prefix`);
  const maxKeys = opts.maxKeys ?? 100_000;
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  const client = clientOf(typeof target === 'string' ? { redisUrl: target, redisClusterNodes: undefined } : target, { lazyConnect: true, failFast: true });
  client.on('error', () => undefined);
  let dropped = 0;
  try {
    await client.connect();
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    for (const node of nodes) {
      for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          if (!keys.length) {
            // nothing in this batch
          } else if (client instanceof Cluster) {
            // One UNLINK per key (pipelined): the keys of one node's scan span its slots.
            const p = node.pipeline();
            for (const key of keys) p.unlink(key);
            dropped += ((await p.exec()) ?? []).reduce((n, [, r]) => n + Number(r ?? 0), 0);
          } else {
            dropped += await node.unlink(...keys);
          }
          cursor = next;
        } while (cursor !== '0' && dropped < maxKeys && Date.now() < deadline);
      }
    }
  } catch {
    // Best effort: a test may have killed its Redis on purpose.
  } finally {
    client.disconnect();
  }
  return dropped;
}
