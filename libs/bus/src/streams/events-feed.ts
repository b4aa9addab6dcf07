import type { RedisClient } from '../redis.js';
import { EVENTS_MAXLEN } from './events-stream.js';
import type { EventType } from './events-stream.js';
import type { RedisKeys } from '../redis-keys.js';

/**
 * Appends an event to the events stream that webhooks are made of, for the events no script writes
 * (the presence and occupancy scripts append theirs atomically with their change): a Pusher client
 * event, a cache miss. Same entry shape and shard (the channel's) as theirs (parseEventEntry), so the
 * worker's consumer needs nothing new.
 */
export class EventsFeed {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async append(appId: string, channel: string, type: EventType, data: unknown, now = Date.now()): Promise<void> {
    await this.redis.xadd(this.keys.events(appId, channel), 'MAXLEN', '~', EVENTS_MAXLEN, '*', 'k', this.keys.member(appId, channel), 'e', type, 't', now, 'd', JSON.stringify(data));
  }
}
