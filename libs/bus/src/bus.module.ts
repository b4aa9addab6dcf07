import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { RedisClient } from './redis.js';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { createRedis } from './redis.js';
import { RedisKeys } from './redis-keys.js';
import { ChannelLog } from './channel/channel-log.js';
import { ChannelRetention } from './channel/channel-retention.js';
import { AppLimits } from './limits/app-limits.js';
import { AttemptLimits } from './limits/attempt-limits.js';
import { PresenceStore } from './presence/presence-store.js';

import { REDIS } from './redis-token.js';
import { ChannelOccupancy } from './presence/channel-occupancy.js';
import { DeadLetters } from './streams/dead-letters.js';
import { EventsFeed } from './streams/events-feed.js';
import { MqttSessions } from './mqtt/mqtt-sessions.js';
import { MqttRetained } from './mqtt/mqtt-retained.js';
import { MqttWildcardMarks } from './mqtt/mqtt-wildcard-marks.js';

export { REDIS };

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The process's Redis command connection, key naming, channel logs and presence. */
@Global()
@Module({
  providers: [
    { provide: REDIS, inject: [CONFIG], useFactory: (c: HeraldConfig) => createRedis(c, 'command', 'bus') },
    { provide: RedisKeys, inject: [CONFIG], useFactory: (c: HeraldConfig) => RedisKeys.of(c) },
    { provide: MqttWildcardMarks, inject: [REDIS, RedisKeys], useFactory: (r: RedisClient, k: RedisKeys) => new MqttWildcardMarks(r, k) },
    {
      provide: ChannelLog,
      inject: [REDIS, RedisKeys, CONFIG, MqttWildcardMarks],
      useFactory: (r: RedisClient, k: RedisKeys, c: HeraldConfig, w: MqttWildcardMarks) => new ChannelLog(r, k, { replicas: c.redisWaitReplicas, timeoutMs: c.redisWaitTimeoutMs }, w),
    },
    { provide: ChannelRetention, inject: [REDIS, RedisKeys], useFactory: (r: RedisClient, k: RedisKeys) => new ChannelRetention(r, k) },
    { provide: PresenceStore, inject: [REDIS, RedisKeys], useFactory: (r: RedisClient, k: RedisKeys) => new PresenceStore(r, k) },
    { provide: AppLimits, inject: [REDIS, RedisKeys], useFactory: (r: RedisClient, k: RedisKeys) => new AppLimits(r, k) },
    { provide: AttemptLimits, inject: [REDIS, RedisKeys], useFactory: (r: RedisClient, k: RedisKeys) => new AttemptLimits(r, k) },
    { provide: DeadLetters, inject: [REDIS, RedisKeys], useFactory: (r: RedisClient, k: RedisKeys) => new DeadLetters(r, k) },
    { provide: EventsFeed, inject: [REDIS, RedisKeys], useFactory: (r: RedisClient, k: RedisKeys) => new EventsFeed(r, k) },
    { provide: MqttSessions, inject: [REDIS, RedisKeys], useFactory: (r: RedisClient, k: RedisKeys) => new MqttSessions(r, k) },
    { provide: MqttRetained, inject: [REDIS, RedisKeys], useFactory: (r: RedisClient, k: RedisKeys) => new MqttRetained(r, k) },
    ChannelOccupancy,
    RedisCloser,
  ],
  exports: [REDIS, RedisKeys, ChannelLog, ChannelRetention, PresenceStore, AppLimits, AttemptLimits, ChannelOccupancy, DeadLetters, EventsFeed, MqttSessions, MqttRetained, MqttWildcardMarks],
})
export class BusModule {}
