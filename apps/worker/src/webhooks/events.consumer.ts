import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { DeadLetters, RedisKeys, ShardedStreamConsumer, parseEventEntry } from '@herald/bus';
import { isTransientStoreError } from '@herald/db';
import { WebhookDispatcher } from '@herald/webhooks';

const GROUP = 'webhooks';
const BATCH = 1000;

/**
 * Turns the events stream (channel occupied/vacated, member joined/left — appended after the presence and
 * occupancy scripts) into webhook deliveries, through a consumer group on every shard (and the previous
 * version's unsharded stream, read at start until empty): entries are acknowledged after
 * their deliveries are stored and enqueued, so a killed worker's entries are claimed and dispatched again,
 * which the deterministic delivery ids make harmless. Reading lingers HERALD_WEBHOOK_LINGER_MS after a
 * first entry, so a burst of events goes out as a few deliveries carrying many events.
 */
@Injectable()
export class EventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer?: ShardedStreamConsumer;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
    private readonly dispatcher: WebhookDispatcher,
    private readonly deadLetters: DeadLetters,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'events' });
  }

  async onApplicationBootstrap(): Promise<void> {
    const linger = this.config.webhooks.lingerMs;
    this.consumer = new ShardedStreamConsumer(this.config, 'events', this.keys.allShards('events'), this.keys.legacy('events'), {
      group: GROUP,
      batch: BATCH,
      blockMs: this.config.worker.archiveBlockMs,
      claimIdleMs: this.config.worker.streamClaimIdleMs,
      gather: async (first, readMore) => {
        if (linger <= 0) return first;
        await new Promise((r) => setTimeout(r, linger));
        return first.concat(await readMore());
      },
      handle: async (entries) => {
        await this.dispatcher.dispatch(entries.map(([id, fields]) => parseEventEntry(id, fields)).filter((e) => e !== undefined));
        return entries.map(([id]) => id);
      },
      isTransient: isTransientStoreError,
      maxAttempts: this.config.worker.streamMaxAttempts,
      retryMs: this.config.worker.streamRetryMs,
      deadLetters: this.deadLetters,
      logger: this.logger,
    });
    await this.consumer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }
}
