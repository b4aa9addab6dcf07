import { fnv1a, type RedisKeys } from '@herald/bus';

/**
 * Where the work queues' jobs go (HERALD_QUEUE_SHARDS = N). Each kind of work (webhook deliveries, push
 * fan-outs, push deliveries, scheduled publishes) is N BullMQ queues of the same name, queue k under the
 * prefix `{<P>bull:<k>}`: one hash tag per queue, so all of one queue's keys (which BullMQ's scripts touch
 * together) sit in one cluster slot, and the N queues spread over the masters. The same on one Redis.
 *
 * Producers pick the queue by a stable hash (FNV-1a, as the stream shards): an app's webhook and push jobs
 * by its id, so one app's jobs stay in one queue, in the order they were added; a scheduled publish by its
 * channel, so a burst of one app's messages spreads while one channel's stay in time order. Job ids
 * (delivery id, push message id, app + message id) then deduplicate as before, within the one queue a
 * given job always lands in. The per-app limits the processors apply (in-flight slots, circuits) are
 * Redis keys of the app's own, shared by every queue and worker, so they hold whichever queue a job is in.
 */
export class QueueShards {
  constructor(
    private readonly keys: RedisKeys,
    /** HERALD_QUEUE_SHARDS. */
    readonly count: number,
  ) {
    if (!Number.isSafeInteger(count) || count < 1) throw new Error(`queue shards must be a positive integer, got ${count}`);
  }

  /** Queue k's BullMQ prefix. */
  prefix(k: number): string {
    return this.keys.bullShardPrefix(k);
  }

  /** The previous version's single prefix of every queue: its jobs are still consumed until none is left. */
  get legacyPrefix(): string {
    return this.keys.bullPrefix;
  }

  /** Every queue index, 0 … N-1. */
  all(): number[] {
    return Array.from({ length: this.count }, (_, k) => k);
  }

  /** The queue of an app's webhook deliveries, push fan-outs and push deliveries. */
  ofApp(appId: string): number {
    return fnv1a(appId) % this.count;
  }

  /** The queue of a scheduled publish: by its channel. */
  ofChannel(appId: string, channel: string): number {
    return fnv1a(`${appId}|${channel}`) % this.count;
  }
}
