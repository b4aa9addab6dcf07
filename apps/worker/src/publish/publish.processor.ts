import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelLog, RedisKeys, createRedis } from '@herald/bus';
import { PUBLISH_QUEUE, PublishJob } from '@herald/queue';
import { GatewayMetrics } from '@herald/observability';

/** Thrown on purpose by HERALD_FAULT_FAIL_FIRST_ATTEMPT (tests of retries and ordering). */
class InjectedFault extends Error {}

/**
 * Processes publish jobs: appends every accepted message of the job's channels to their history and fans
 * them out (ChannelLog.appendPending, one Lua script per channel). Retried by BullMQ until it succeeds; a stalled job
 * (worker killed) is picked up again and finds its work already done or still to do, never half done.
 */
@Injectable()
export class PublishProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: Worker<PublishJob>;
  private connection?: Redis;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly log: ChannelLog,
    private readonly keys: RedisKeys,
    private readonly metrics: GatewayMetrics,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'publish' });
  }

  onApplicationBootstrap(): void {
    const w = this.config.worker;
    this.connection = createRedis(this.config, 'bullmq', 'publish-worker');
    this.worker = new Worker<PublishJob>(PUBLISH_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.keys.bullPrefix,
      concurrency: w.concurrency,
      lockDuration: w.lockMs,
      stalledInterval: w.stalledIntervalMs,
      maxStalledCount: 10,
    });
    this.worker.on('failed', (job, err) => {
      this.metrics.error('publish_job_failed');
      this.logger.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'publish job failed');
    });
    this.worker.on('error', (err) => {
      this.metrics.error('publish_worker_error');
      this.logger.error({ err: err.message }, 'publish worker error');
    });
  }

  async process(job: Job<PublishJob>): Promise<{ appended: number }> {
    const d = job.data;
    const faults = this.config.worker.failFirstAttempt;
    if (job.attemptsMade === 0 && faults.size > 0 && (faults.has(d.messageId) || faults.has('*'))) {
      throw new InjectedFault(`injected failure for ${d.messageId}`);
    }
    const window = { historySize: d.historySize, historyTtlMs: d.historyTtlMs };
    // Each channel's APPEND is atomic and in offset order; the channels are independent of each other.
    const [{ appended }] = await Promise.all([d.channel, ...(d.channels ?? [])].map((channel) => this.log.appendPending(d.appId, channel, window)));
    return { appended };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    // BullMQ leaves a connection it was handed open.
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
