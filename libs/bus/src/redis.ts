import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { createLogger, type HeraldConfig } from '@herald/config';

/**
 * Redis connections by role. Commands fail fast (a publish is answered 503 rather than hanging);
 * BullMQ workers and pub/sub subscribers retry forever, as they must. `fanout` is the gateway's channel
 * subscriber: on a cluster it uses sharded pub/sub (FanoutSubscriber), one connection per master.
 */
export type RedisRole = 'command' | 'subscriber' | 'fanout' | 'bullmq';

/** One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES): the same commands, routed by key slot. */
export type RedisClient = Redis | Cluster;

const ERROR_LOG_EVERY_MS = 5_000;

export function createRedis(config: Pick<HeraldConfig, 'redisUrl' | 'redisClusterNodes' | 'logLevel'>, role: RedisRole, name: string): RedisClient {
  // No keyPrefix: BullMQ refuses it, and a key's hash tag must stay where RedisKeys put it.
  const opts: RedisOptions = {
    connectionName: `herald:${name}:${role}`,
    lazyConnect: false,
    enableAutoPipelining: role === 'command',
    maxRetriesPerRequest: role === 'command' ? 2 : null,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
  };
  const redis = config.redisClusterNodes
    ? new Cluster(config.redisClusterNodes, {
        // Per-node options; the cluster client pipelines per node and follows MOVED/ASK itself.
        redisOptions: { connectionName: opts.connectionName, maxRetriesPerRequest: opts.maxRetriesPerRequest },
        enableAutoPipelining: opts.enableAutoPipelining,
        clusterRetryStrategy: opts.retryStrategy,
        shardedSubscribers: role === 'fanout',
      })
    : new Redis(config.redisUrl, opts);
  // ioredis reconnects by itself; say so once in a while instead of once per attempt.
  const logger = createLogger(config, name);
  let lastLog = 0;
  redis.on('error', (e: Error) => {
    if (Date.now() - lastLog < ERROR_LOG_EVERY_MS) return;
    lastLog = Date.now();
    logger.warn({ role, err: e.message }, 'redis connection error; reconnecting');
  });
  return redis;
}
