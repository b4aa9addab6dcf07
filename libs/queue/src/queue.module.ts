import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { SCHEDULED_JOB, SCHEDULED_QUEUE, ScheduledJob, scheduledJobId } from './scheduled-job.js';
import { WEBHOOK_BACKOFF, WEBHOOK_JOB, WEBHOOK_QUEUE, WebhookJob, webhookAttempts, webhookJobId } from './webhook-job.js';
import { PUSH_BACKOFF, PUSH_FANOUT_JOB, PUSH_FANOUT_QUEUE, PUSH_JOB, PUSH_QUEUE, type PushDeliveryJob, type PushFanoutJob } from './push-job.js';

const connections = new WeakMap<Queue, RedisClient>();

function createQueue<T>(config: HeraldConfig, keys: RedisKeys, queueName: string, name: string, defaultJobOptions: JobsOptions): Queue<T> {
  const connection = createRedis(config, 'bullmq', name);
  const queue = new Queue<T>(queueName, { connection, prefix: keys.bullPrefix, defaultJobOptions });
  connections.set(queue as Queue, connection);
  return queue;
}

export function createScheduledQueue(config: HeraldConfig, keys: RedisKeys, name: string): Queue<ScheduledJob> {
  return createQueue<ScheduledJob>(config, keys, SCHEDULED_QUEUE, name, {
    attempts: config.worker.attempts,
    backoff: { type: 'exponential', delay: config.worker.backoffMs },
    // The row in Postgres keeps the outcome; finished jobs only need to stay long enough to drop duplicates.
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 10_000 },
  });
}

export function createWebhookQueue(config: HeraldConfig, keys: RedisKeys, name: string): Queue<WebhookJob> {
  return createQueue<WebhookJob>(config, keys, WEBHOOK_QUEUE, name, {
    attempts: webhookAttempts(config.webhooks),
    backoff: { type: WEBHOOK_BACKOFF },
    // Every attempt is in the delivery log (Postgres); Redis keeps only a short tail.
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 1000 },
  });
}

export function createPushFanoutQueue(config: HeraldConfig, keys: RedisKeys, name: string): Queue<PushFanoutJob> {
  return createQueue<PushFanoutJob>(config, keys, PUSH_FANOUT_QUEUE, name, {
    attempts: config.worker.attempts,
    backoff: { type: 'exponential', delay: config.worker.backoffMs },
    // The message row keeps the fan-out's progress; Redis keeps only a short tail.
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 1000 },
  });
}

export function createPushQueue(config: HeraldConfig, keys: RedisKeys, name: string): Queue<PushDeliveryJob> {
  return createQueue<PushDeliveryJob>(config, keys, PUSH_QUEUE, name, {
    attempts: config.push.attempts,
    backoff: { type: PUSH_BACKOFF },
    // Every attempt is in the push delivery log (Postgres).
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 1000 },
  });
}

/** BullMQ leaves a connection it was handed open: close the queue, then its connection. */
export async function closeQueue(queue: Queue<never> | Queue): Promise<void> {
  const connection = connections.get(queue as Queue);
  await queue.close();
  await connection?.quit().catch(() => connection.disconnect());
}

/** Delayed jobs of scheduled publishes. */
@Injectable()
export class ScheduleProducer implements OnApplicationShutdown {
  constructor(@Inject(SCHEDULED_QUEUE) private readonly queue: Queue<ScheduledJob>) {}

  async schedule(job: ScheduledJob, at: number, now = Date.now()): Promise<void> {
    await this.queue.add(SCHEDULED_JOB, job, { jobId: scheduledJobId(job.appId, job.messageId), delay: Math.max(0, at - now) });
  }

  /** Removes the delayed job (false when it is running or gone: the row's state decides then). */
  async unschedule(appId: string, messageId: string): Promise<boolean> {
    const job = await this.queue.getJob(scheduledJobId(appId, messageId));
    if (!job) return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // locked by a worker that is firing it
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await closeQueue(this.queue);
  }
}

/** Webhook delivery jobs; ids are delivery ids, so a re-dispatched batch is enqueued once. */
@Injectable()
export class WebhookProducer implements OnApplicationShutdown {
  constructor(@Inject(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookJob>) {}

  /** `delayMs`: sent no sooner (a held Pusher-format delivery). */
  async enqueue(jobs: ReadonlyArray<WebhookJob & { replay?: number; delayMs?: number }>): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(
      jobs.map(({ replay, delayMs, ...data }) => ({ name: WEBHOOK_JOB, data, opts: { jobId: webhookJobId(data.deliveryId, replay ?? 0), delay: delayMs } })),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await closeQueue(this.queue);
  }
}

/** Push fan-outs (job id = push message id: a message read twice is fanned out once) and deliveries (job id = delivery id). */
@Injectable()
export class PushProducer implements OnApplicationShutdown {
  constructor(
    @Inject(PUSH_FANOUT_QUEUE) private readonly fanouts: Queue<PushFanoutJob>,
    @Inject(PUSH_QUEUE) private readonly deliveries: Queue<PushDeliveryJob>,
  ) {}

  async fanout(jobs: readonly PushFanoutJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.fanouts.addBulk(jobs.map((data) => ({ name: PUSH_FANOUT_JOB, data, opts: { jobId: data.pushMessageId } })));
  }

  async deliver(jobs: readonly PushDeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.deliveries.addBulk(jobs.map((data) => ({ name: PUSH_JOB, data, opts: { jobId: data.deliveryId } })));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([closeQueue(this.fanouts as Queue), closeQueue(this.deliveries as Queue)]);
  }
}

const producers = [ScheduleProducer, WebhookProducer, PushProducer];

@Global()
@Module({
  providers: [
    { provide: SCHEDULED_QUEUE, inject: [CONFIG, RedisKeys], useFactory: (c: HeraldConfig, k: RedisKeys) => createScheduledQueue(c, k, 'schedule-producer') },
    { provide: WEBHOOK_QUEUE, inject: [CONFIG, RedisKeys], useFactory: (c: HeraldConfig, k: RedisKeys) => createWebhookQueue(c, k, 'webhook-producer') },
    { provide: PUSH_FANOUT_QUEUE, inject: [CONFIG, RedisKeys], useFactory: (c: HeraldConfig, k: RedisKeys) => createPushFanoutQueue(c, k, 'push-fanout-producer') },
    { provide: PUSH_QUEUE, inject: [CONFIG, RedisKeys], useFactory: (c: HeraldConfig, k: RedisKeys) => createPushQueue(c, k, 'push-producer') },
    ...producers,
  ],
  exports: [SCHEDULED_QUEUE, WEBHOOK_QUEUE, PUSH_FANOUT_QUEUE, PUSH_QUEUE, ...producers],
})
export class QueueModule {}
