import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@herald/config';
import { REDIS, type RedisClient } from '@herald/bus';
import { OBSERVABILITY_LOGGER, OBSERVED_APP, type AppName } from './observability-logger.js';

export interface RedisDurabilitySettings {
  maxmemoryPolicy?: string;
  appendonly?: string;
  appendfsync?: string;
}

/** What is wrong with a Redis's settings for Herald, each finding saying what to set and why (DESIGN §9). */
export function redisSettingWarnings(s: RedisDurabilitySettings): string[] {
  const out: string[] = [];
  if (s.maxmemoryPolicy !== undefined && s.maxmemoryPolicy !== 'noeviction') {
    out.push(
      `Redis maxmemory-policy is "${s.maxmemoryPolicy}": set "maxmemory-policy noeviction". Any other policy lets Redis ` +
        'silently evict channel histories, idempotency keys, the archive stream and queued jobs under memory pressure; with ' +
        'noeviction a full Redis refuses writes, and publishes fail visibly (503) instead of being lost.',
    );
  }
  if (s.appendonly !== undefined && s.appendonly !== 'yes') {
    out.push(
      'Redis AOF is off (appendonly no): set "appendonly yes" (with "appendfsync everysec" or "always") wherever an ' +
        'accepted publish must survive a Redis restart. Without it a restart loses recent history and messages not yet archived.',
    );
  } else if (s.appendfsync === 'no') {
    out.push(
      'Redis appendfsync is "no": set "appendfsync everysec" (at most ~1 s lost on a crash) or "always" (nothing lost). ' +
        'With "no" the OS decides when to flush, and a crash can lose about 30 s of accepted publishes.',
    );
  }
  return out;
}

/** CONFIG GET answers [name, value]; a disabled or renamed CONFIG (managed Redis) throws. */
async function configValue(redis: RedisClient, name: string): Promise<string | undefined> {
  const reply = (await redis.call('CONFIG', 'GET', name)) as string[];
  return reply[1];
}

/**
 * Reads the settings Herald relies on and warns about each one that is off. Resolves to the warnings (also
 * logged); never throws: a Redis that hides CONFIG only costs the check, logged at debug.
 */
export async function checkRedisSettings(redis: RedisClient, logger: Logger): Promise<string[]> {
  let settings: RedisDurabilitySettings;
  try {
    settings = {
      maxmemoryPolicy: await configValue(redis, 'maxmemory-policy'),
      appendonly: await configValue(redis, 'appendonly'),
      appendfsync: await configValue(redis, 'appendfsync'),
    };
  } catch (e) {
    logger.debug({ err: (e as Error).message }, 'cannot read Redis CONFIG; maxmemory-policy and AOF not checked');
    return [];
  }
  const warnings = redisSettingWarnings(settings);
  for (const w of warnings) logger.warn({ redis: settings }, w);
  return warnings;
}

/**
 * The app that reports the Redis settings. Every process shares the one Redis, so one app reporting is
 * enough: `npm start` (and a compose deployment) would otherwise print each finding once per process.
 */
export const REDIS_CHECK_APP: AppName = 'api';

/** Runs the check at the API's start, in the background: a slow Redis must not hold up boot. */
@Injectable()
export class RedisBootCheck implements OnApplicationBootstrap {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(OBSERVABILITY_LOGGER) private readonly logger: Logger,
    @Inject(OBSERVED_APP) private readonly app: AppName,
  ) {}

  onApplicationBootstrap(): void {
    if (this.app === REDIS_CHECK_APP) void checkRedisSettings(this.redis, this.logger);
  }
}
