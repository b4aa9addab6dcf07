import { Redis, type RedisOptions } from 'ioredis';
import type { HeraldConfig } from '@herald/config';

/**
 * Redis connections by role. Commands fail fast (a publish is answered 503 rather than hanging);
 * BullMQ workers and pub/sub subscribers retry forever, as they must.
 */
export type RedisRole = 'command' | 'subscriber' | 'bullmq';

export function createRedis(config: Pick<HeraldConfig, 'redisUrl'>, role: RedisRole, name: string): Redis {
  const opts: RedisOptions = {
    connectionName: `herald:${name}:${role}`,
    lazyConnect: false,
    enableAutoPipelining: role === 'command',
    maxRetriesPerRequest: role === 'command' ? 2 : null,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
  };
  return new Redis(config.redisUrl, opts);
}
