import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis } from '@herald/bus';
import { PUBLISH_JOB, PUBLISH_QUEUE, PublishJob, publishJobId } from './publish-job.js';

const connections = new WeakMap<Queue<PublishJob>, Redis>();

export function createPublishQueue(config: HeraldConfig, keys: RedisKeys, name: string): Queue<PublishJob> {
  const connection = createRedis(config, 'bullmq', name);
  const queue = new Queue<PublishJob>(PUBLISH_QUEUE, {
    connection,
    prefix: keys.bullPrefix,
    defaultJobOptions: {
      attempts: config.worker.attempts,
      backoff: { type: 'exponential', delay: config.worker.backoffMs },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10_000 },
    },
  });
  connections.set(queue, connection);
  return queue;
}

/** BullMQ leaves a connection it was handed open: close the queue, then its connection. */
export async function closeQueue(queue: Queue<PublishJob>): Promise<void> {
  const connection = connections.get(queue);
  await queue.close();
  await connection?.quit().catch(() => connection.disconnect());
}

/** Enqueues publish jobs. Adding a job whose id exists is a no-op (BullMQ), which retries rely on. */
@Injectable()
export class PublishProducer implements OnApplicationShutdown {
  constructor(@Inject(PUBLISH_QUEUE) private readonly queue: Queue<PublishJob>) {}

  async enqueue(job: PublishJob): Promise<void> {
    await this.queue.add(PUBLISH_JOB, job, { jobId: publishJobId(job.appId, job.messageId) });
  }

  async onApplicationShutdown(): Promise<void> {
    await closeQueue(this.queue);
  }
}

@Global()
@Module({
  providers: [
    { provide: PUBLISH_QUEUE, inject: [CONFIG, RedisKeys], useFactory: (c: HeraldConfig, k: RedisKeys) => createPublishQueue(c, k, 'producer') },
    PublishProducer,
  ],
  exports: [PUBLISH_QUEUE, PublishProducer],
})
export class QueueModule {}
