import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Job } from 'bullmq';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { QueueShards, SCHEDULED_QUEUE, ShardedWorker, type ScheduledJob } from '@herald/queue';
import { Maintenance } from '../maintenance/maintenance.js';
import { ScheduledPublishService, type FireOutcome } from '@herald/publishing';

/** A delayed job promoted a hair early (clock granularity) waits for its time: never deliver before it. */
const MAX_EARLY_WAIT_MS = 1_000;

/**
 * Fires scheduled publishes at their time through the publish use case. A worker killed mid-job leaves
 * the job stalled; the next worker fires it again and the message id makes that a no-op. A maintenance
 * job re-adds the jobs of rows still waiting long after their time (a job lost with a Redis without AOF).
 */
@Injectable()
export class ScheduledProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: ShardedWorker<ScheduledJob>;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly shards: QueueShards,
    private readonly scheduled: ScheduledPublishService,
    maintenance: Maintenance,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'scheduled' });
    maintenance.register('scheduled sweep', config.worker.scheduleSweepMs, () => this.sweep());
  }

  onApplicationBootstrap(): void {
    const w = this.config.worker;
    this.worker = new ShardedWorker<ScheduledJob>(this.config, this.shards, {
      queue: SCHEDULED_QUEUE,
      name: 'scheduled-worker',
      processor: (job) => this.process(job),
      // Messages due at the same instant should go out together: firing is mostly waiting on Postgres and Redis.
      concurrency: Math.max(w.concurrency, 32),
      logger: this.logger,
      worker: { lockDuration: w.lockMs, stalledInterval: w.stalledIntervalMs, maxStalledCount: 10 },
    });
    this.worker.on('failed', (job, err) => this.logger.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'scheduled publish failed'));
    this.worker.start();
  }

  async process(job: Job<ScheduledJob>): Promise<{ outcome: FireOutcome }> {
    const due = job.timestamp + (job.opts.delay ?? 0);
    const early = due - Date.now();
    if (early > 0 && early <= MAX_EARLY_WAIT_MS) await new Promise((r) => setTimeout(r, early));
    const outcome = await this.scheduled.fire(job.data.appId, job.data.messageId);
    return { outcome };
  }

  /** Safety net: scheduled messages past their time whose job is gone (maintenance, every HERALD_SCHEDULE_SWEEP_MS). */
  private async sweep(): Promise<number> {
    const n = await this.scheduled.requeueOverdue(Math.max(this.config.worker.scheduleSweepMs, 10_000));
    if (n > 0) this.logger.warn({ n }, 're-enqueued overdue scheduled publishes');
    return n;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
