import type { HeraldConfig } from '@herald/config';
import { createRedis, type RedisClient } from '../redis.js';
import { StreamGroupConsumer, type StreamGroupOptions } from './stream-group-consumer.js';

/**
 * One consumer group read across every shard of a sharded stream (RedisKeys.allShards): a
 * StreamGroupConsumer per shard, each blocking on a connection of its own (a blocking read holds its
 * connection, and the shards sit in different slots). The previous version's unsharded stream is read
 * once at start until it is empty, through the same group, with the same handler, bounded retries and
 * dead letters.
 */
export class ShardedStreamConsumer {
  private readonly connections: RedisClient[] = [];
  private readonly consumers: StreamGroupConsumer[] = [];
  private legacy?: StreamGroupConsumer;
  private draining?: Promise<void>;

  constructor(
    private readonly config: HeraldConfig,
    private readonly name: string,
    private readonly shards: readonly string[],
    private readonly legacyStream: string,
    private readonly options: Omit<StreamGroupOptions, 'stream'>,
  ) {}

  async start(): Promise<void> {
    for (const [k, stream] of this.shards.entries()) {
      const redis = createRedis(this.config, 'subscriber', `${this.name}-${k}`);
      this.connections.push(redis);
      this.consumers.push(new StreamGroupConsumer(redis, { ...this.options, stream }));
    }
    await Promise.all(this.consumers.map((c) => c.start()));
    const redis = createRedis(this.config, 'subscriber', `${this.name}-legacy`);
    this.connections.push(redis);
    this.legacy = new StreamGroupConsumer(redis, { ...this.options, stream: this.legacyStream });
    this.draining = this.legacy.drain().then(
      (n) => {
        if (n > 0) this.options.logger.info({ stream: this.legacyStream, entries: n }, "read what the previous version left in its unsharded stream");
      },
      (e: Error) => this.options.logger.warn({ err: e.message, stream: this.legacyStream }, "could not read the previous version's stream"),
    ).finally(() => redis.disconnect()); // read once: its connection is not kept
  }

  /** Ends within one `blockMs`; closes the connections. */
  async stop(): Promise<void> {
    await Promise.all([...this.consumers, ...(this.legacy ? [this.legacy] : [])].map((c) => c.stop()));
    await this.draining;
    for (const c of this.connections) c.disconnect();
  }
}

