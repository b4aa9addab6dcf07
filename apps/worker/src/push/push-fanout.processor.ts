import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { PUSH_FANOUT_QUEUE, type PushFanoutJob } from '@herald/queue';
import { PushFanout } from '@herald/push';

/** Runs push fan-outs (PushFanout): one job per push message, resumable from its stored cursor. */
@Injectable()
export class PushFanoutProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: Worker<PushFanoutJob>;
  private connection?: RedisClient;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
    private readonly fanout: PushFanout,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'push-fanout' });
  }

  onApplicationBootstrap(): void {
    const w = this.config.worker;
    this.connection = createRedis(this.config, 'bullmq', 'push-fanout-worker');
    this.worker = new Worker<PushFanoutJob>(PUSH_FANOUT_QUEUE, (job: Job<PushFanoutJob>) => this.fanout.run(job.data.appId, job.data.pushMessageId), {
      connection: this.connection,
      prefix: this.keys.bullPrefix,
      concurrency: w.concurrency,
      lockDuration: w.lockMs,
      stalledInterval: w.stalledIntervalMs,
    });
    this.worker.on('error', (err) => this.logger.error({ err: err.message }, 'push fan-out worker error'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
