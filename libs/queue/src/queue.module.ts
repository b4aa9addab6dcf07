import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis } from '@herald/bus';
import { PUBLISH_JOB, PUBLISH_QUEUE, PublishJob, publishJobId } from './publish-job.js';

export function createPublishQueue(config: HeraldConfig, keys: RedisKeys, name: string): Queue<PublishJob> {
  return new Queue<PublishJob>(PUBLISH_QUEUE, {
    connection: createRedis(config, 'bullmq', name),
    prefix: keys.bullPrefix,
    defaultJobOptions: {
      attempts: config.worker.attempts,
      backoff: { type: 'exponential', delay: config.worker.backoffMs },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10_000 },
    },
  });
}

/** Enqueues publish jobs. Adding a job whose id exists is a no-op (BullMQ), which retries rely on. */
@Injectable()
export class PublishProducer implements OnApplicationShutdown {
  constructor(@Inject(PUBLISH_QUEUE) private readonly queue: Queue<PublishJob>) {}

  async enqueue(job: PublishJob): Promise<void> {
    await this.queue.add(PUBLISH_JOB, job, { jobId: publishJobId(job.appId, job.messageId) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
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
