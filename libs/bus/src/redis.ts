import { Redis, type RedisOptions } from 'ioredis';
import { createLogger, type HeraldConfig } from '@herald/config';

/**
 * Redis connections by role. Commands fail fast (a publish is answered 503 rather than hanging);
 * BullMQ workers and pub/sub subscribers retry forever, as they must.
 */
export type RedisRole = 'command' | 'subscriber' | 'bullmq';

const ERROR_LOG_EVERY_MS = 5_000;

export function createRedis(config: Pick<HeraldConfig, 'redisUrl' | 'logLevel'>, role: RedisRole, name: string): Redis {
  const opts: RedisOptions = {
    connectionName: `herald:${name}:${role}`,
    lazyConnect: false,
    enableAutoPipelining: role === 'command',
    maxRetriesPerRequest: role === 'command' ? 2 : null,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
  };
  const redis = new Redis(config.redisUrl, opts);
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
