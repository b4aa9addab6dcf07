import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { RedisKeys } from '@herald/bus';
import { QueueShards } from './queue-shards.js';
import { ShardedQueue, createShardedQueue } from './sharded-queue.js';
import { SCHEDULED_JOB, SCHEDULED_QUEUE, ScheduledJob, scheduledJobId } from './scheduled-job.js';
import { WEBHOOK_BACKOFF, WEBHOOK_JOB, WEBHOOK_QUEUE, WebhookJob, webhookAttempts, webhookJobId } from './webhook-job.js';
import { PUSH_BACKOFF, PUSH_FANOUT_JOB, PUSH_FANOUT_QUEUE, PUSH_JOB, PUSH_QUEUE, type PushDeliveryJob, type PushFanoutJob } from './push-job.js';

type Factory<T extends { appId: string }> = (config: HeraldConfig, shards: QueueShards, connectionName: string) => ShardedQueue<T>;

export const createScheduledQueues: Factory<ScheduledJob> = (config, shards, name) =>
  createShardedQueue<ScheduledJob>(config, shards, SCHEDULED_QUEUE, name, {
    attempts: config.worker.attempts,
    backoff: { type: 'exponential', delay: config.worker.backoffMs },
    // The row in Postgres keeps the outcome; finished jobs only need to stay long enough to drop duplicates.
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 10_000 },
  });

export const createWebhookQueues: Factory<WebhookJob> = (config, shards, name) =>
  createShardedQueue<WebhookJob>(config, shards, WEBHOOK_QUEUE, name, {
    attempts: webhookAttempts(config.webhooks),
    backoff: { type: WEBHOOK_BACKOFF },
    // Every attempt is in the delivery log (Postgres); Redis keeps only a short tail.
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 1000 },
  });

export const createPushFanoutQueues: Factory<PushFanoutJob> = (config, shards, name) =>
  createShardedQueue<PushFanoutJob>(config, shards, PUSH_FANOUT_QUEUE, name, {
    attempts: config.worker.attempts,
    backoff: { type: 'exponential', delay: config.worker.backoffMs },
    // The message row keeps the fan-out's progress; Redis keeps only a short tail.
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 1000 },
  });

export const createPushQueues: Factory<PushDeliveryJob> = (config, shards, name) =>
  createShardedQueue<PushDeliveryJob>(config, shards, PUSH_QUEUE, name, {
    attempts: config.push.attempts,
    backoff: { type: PUSH_BACKOFF },
    // Every attempt is in the push delivery log (Postgres).
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 1000 },
  });

/** Delayed jobs of scheduled publishes, in the queue of their channel. */
@Injectable()
export class ScheduleProducer implements OnApplicationShutdown {
  constructor(@Inject(SCHEDULED_QUEUE) private readonly queues: ShardedQueue<ScheduledJob>) {}

  async schedule(job: ScheduledJob, channel: string, at: number, now = Date.now()): Promise<void> {
    await this.queues.ofChannel(job.appId, channel).add(SCHEDULED_JOB, job, { jobId: scheduledJobId(job.appId, job.messageId), delay: Math.max(0, at - now) });
  }

  /**
   * Removes the delayed job (false when it is running or gone: the row's state decides then). A job the
   * previous version queued is not looked for: it fires, finds its row cancelled and does nothing.
   */
  async unschedule(appId: string, channel: string, messageId: string): Promise<boolean> {
    const job = await this.queues.ofChannel(appId, channel).getJob(scheduledJobId(appId, messageId));
    if (!job) return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // locked by a worker that is firing it
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queues.close();
  }
}

/** Webhook delivery jobs, in the queue of their app; ids are delivery ids, so a re-dispatched batch is enqueued once. */
@Injectable()
export class WebhookProducer implements OnApplicationShutdown {
  constructor(@Inject(WEBHOOK_QUEUE) private readonly queues: ShardedQueue<WebhookJob>) {}

  /** `delayMs`: sent no sooner (a held Pusher-format delivery). */
  async enqueue(jobs: ReadonlyArray<WebhookJob & { replay?: number; delayMs?: number }>): Promise<void> {
    if (jobs.length === 0) return;
    await this.queues.addByApp(jobs.map(({ replay, delayMs, ...data }) => ({ name: WEBHOOK_JOB, data, opts: { jobId: webhookJobId(data.deliveryId, replay ?? 0), delay: delayMs } })));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queues.close();
  }
}

/** Push fan-outs (job id = push message id: a message read twice is fanned out once) and deliveries (job id = delivery id), in the queue of their app. */
@Injectable()
export class PushProducer implements OnApplicationShutdown {
  constructor(
    @Inject(PUSH_FANOUT_QUEUE) private readonly fanouts: ShardedQueue<PushFanoutJob>,
    @Inject(PUSH_QUEUE) private readonly deliveries: ShardedQueue<PushDeliveryJob>,
  ) {}

  async fanout(jobs: readonly PushFanoutJob[]): Promise<void> {
    await this.fanouts.addByApp(jobs.map((data) => ({ name: PUSH_FANOUT_JOB, data, opts: { jobId: data.pushMessageId } })));
  }

  async deliver(jobs: readonly PushDeliveryJob[]): Promise<void> {
    await this.deliveries.addByApp(jobs.map((data) => ({ name: PUSH_JOB, data, opts: { jobId: data.deliveryId } })));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.fanouts.close(), this.deliveries.close()]);
  }
}

const producers = [ScheduleProducer, WebhookProducer, PushProducer];

@Global()
@Module({
  providers: [
    { provide: QueueShards, inject: [CONFIG, RedisKeys], useFactory: (c: HeraldConfig, k: RedisKeys) => new QueueShards(k, c.queueShards) },
    { provide: SCHEDULED_QUEUE, inject: [CONFIG, QueueShards], useFactory: (c: HeraldConfig, s: QueueShards) => createScheduledQueues(c, s, 'schedule-producer') },
    { provide: WEBHOOK_QUEUE, inject: [CONFIG, QueueShards], useFactory: (c: HeraldConfig, s: QueueShards) => createWebhookQueues(c, s, 'webhook-producer') },
    { provide: PUSH_FANOUT_QUEUE, inject: [CONFIG, QueueShards], useFactory: (c: HeraldConfig, s: QueueShards) => createPushFanoutQueues(c, s, 'push-fanout-producer') },
    { provide: PUSH_QUEUE, inject: [CONFIG, QueueShards], useFactory: (c: HeraldConfig, s: QueueShards) => createPushQueues(c, s, 'push-producer') },
    ...producers,
  ],
  exports: [QueueShards, SCHEDULED_QUEUE, WEBHOOK_QUEUE, PUSH_FANOUT_QUEUE, PUSH_QUEUE, ...producers],
})
export class QueueModule {}
