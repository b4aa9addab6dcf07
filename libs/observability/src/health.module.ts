import { DynamicModule, Module } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { REDIS, type RedisClient } from '@herald/bus';
import { PrismaService } from '@herald/db';
import { HealthController } from './health.controller.js';
import { READINESS_PROBES, READINESS_TIMEOUT_MS, Readiness, type Probe } from './readiness.js';
import { RedisBootCheck } from './redis-boot-check.js';
import { observabilityProviders, type AppName } from './observability-logger.js';

/** Redis is unready at once when its connection is down; queueing a PING would only wait for the timeout. */
function redisProbe(redis: RedisClient): Probe {
  return async () => {
    if (redis.status !== 'ready') throw new Error(`redis connection ${redis.status}`);
    await redis.ping();
  };
}

/**
 * GET /health (liveness), GET /ready (Postgres and Redis, draining), the Redis settings check at boot.
 * Needs the process's PrismaService (DbModule) and REDIS (BusModule), which every app has.
 */
@Module({})
export class HealthModule {
  static forRoot(opts: { app: AppName }): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        ...observabilityProviders(opts.app),
        {
          provide: READINESS_PROBES,
          inject: [PrismaService, REDIS],
          useFactory: (prisma: PrismaService, redis: RedisClient): Record<string, Probe> => ({
            postgres: () => prisma.$queryRaw`SELECT 1`,
            redis: redisProbe(redis),
          }),
        },
        { provide: READINESS_TIMEOUT_MS, inject: [CONFIG], useFactory: (c: HeraldConfig) => c.readyTimeoutMs },
        Readiness,
        RedisBootCheck,
      ],
      exports: [Readiness],
    };
  }
}
