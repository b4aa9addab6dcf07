import { Queue, type JobsOptions } from 'bullmq';
import type { HeraldConfig } from '@herald/config';
import { createRedis, type RedisClient } from '@herald/bus';
import type { QueueShards } from './queue-shards.js';

/** The states herald_queue_depth reports. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** A queue of jobs whose data is T (BullMQ infers its data type through a conditional type a generic T does not resolve). */
export type JobQueue<T> = Queue<T, unknown, string, T, unknown, string>;

/**
 * The producer's side of one kind of work: its N queues (QueueShards), all on one connection (a Queue
 * runs no blocking command, so they can share it; a cluster client routes each queue to its master).
 * `legacy` is the previous version's single queue of that name: nothing is added to it any more, but its
 * jobs count in the depth until the workers have run them all.
 */
export class ShardedQueue<T extends { appId: string }> {
  readonly queues: JobQueue<T>[];
  private readonly legacy: JobQueue<T>;

  constructor(
    readonly name: string,
    private readonly shards: QueueShards,
    private readonly connection: RedisClient,
    defaultJobOptions: JobsOptions,
  ) {
    this.queues = shards.all().map((k) => new Queue(name, { connection, prefix: shards.prefix(k), defaultJobOptions }) as JobQueue<T>);
    this.legacy = new Queue(name, { connection, prefix: shards.legacyPrefix }) as JobQueue<T>;
  }

  /** The queue of an app's jobs (webhooks, push). */
  ofApp(appId: string): JobQueue<T> {
    return this.queues[this.shards.ofApp(appId)];
  }

  /** The queue of a channel's jobs (scheduled publishes). */
  ofChannel(appId: string, channel: string): JobQueue<T> {
    return this.queues[this.shards.ofChannel(appId, channel)];
  }

  /** Adds jobs, each to its app's queue: one addBulk per queue, in the given order within each. */
  async addByApp(jobs: ReadonlyArray<{ name: string; data: T; opts?: JobsOptions }>): Promise<void> {
    const groups = new Map<number, Array<{ name: string; data: T; opts?: JobsOptions }>>();
    for (const job of jobs) {
      const k = this.shards.ofApp(job.data.appId);
      const group = groups.get(k);
      if (group) group.push(job);
      else groups.set(k, [job]);
    }
    await Promise.all([...groups].map(([k, group]) => this.queues[k].addBulk(group)));
  }

  /** Jobs by state, summed over the N queues and the previous version's queue (one round trip per queue, in parallel). */
  async counts(states: readonly QueueState[] = QUEUE_STATES): Promise<Record<QueueState, number>> {
    const each = await Promise.all([...this.queues, this.legacy].map((q) => q.getJobCounts(...states)));
    const sum = Object.fromEntries(states.map((s) => [s, 0])) as Record<QueueState, number>;
    for (const c of each) for (const s of states) sum[s] += c[s] ?? 0;
    return sum;
  }

  /** BullMQ leaves a connection it was handed open: close the queues, then the connection. */
  async close(): Promise<void> {
    await Promise.all([...this.queues, this.legacy].map((q) => q.close()));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}

export function createShardedQueue<T extends { appId: string }>(config: HeraldConfig, shards: QueueShards, queueName: string, connectionName: string, defaultJobOptions: JobsOptions): ShardedQueue<T> {
  return new ShardedQueue<T>(queueName, shards, createRedis(config, 'bullmq', connectionName), defaultJobOptions);
}
