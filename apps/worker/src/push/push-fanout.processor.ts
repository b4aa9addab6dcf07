import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Job } from 'bullmq';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { PUSH_FANOUT_QUEUE, QueueShards, ShardedWorker, type PushFanoutJob } from '@herald/queue';
import { PushFanout } from '@herald/push';

/** Runs push fan-outs (PushFanout): one job per push message, resumable from its stored cursor. */
@Injectable()
export class PushFanoutProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: ShardedWorker<PushFanoutJob>;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly shards: QueueShards,
    private readonly fanout: PushFanout,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'push-fanout' });
  }

  onApplicationBootstrap(): void {
    const w = this.config.worker;
    this.worker = new ShardedWorker<PushFanoutJob>(this.config, this.shards, {
      queue: PUSH_FANOUT_QUEUE,
      name: 'push-fanout-worker',
      processor: (job: Job<PushFanoutJob>) => this.fanout.run(job.data.appId, job.data.pushMessageId),
      concurrency: w.concurrency,
      logger: this.logger,
      worker: { lockDuration: w.lockMs, stalledInterval: w.stalledIntervalMs },
    });
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
