import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { SCHEDULED_QUEUE, type ScheduledJob } from '@herald/queue';
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
  private worker?: Worker<ScheduledJob>;
  private connection?: RedisClient;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
    private readonly scheduled: ScheduledPublishService,
    maintenance: Maintenance,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'scheduled' });
    maintenance.register('scheduled sweep', config.worker.scheduleSweepMs, () => this.sweep());
  }

  onApplicationBootstrap(): void {
    const w = this.config.worker;
    this.connection = createRedis(this.config, 'bullmq', 'scheduled-worker');
    this.worker = new Worker<ScheduledJob>(SCHEDULED_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.keys.bullPrefix,
      // Messages due at the same instant should go out together: firing is mostly waiting on Postgres and Redis.
      concurrency: Math.max(w.concurrency, 32),
      lockDuration: w.lockMs,
      stalledInterval: w.stalledIntervalMs,
      maxStalledCount: 10,
    });
    this.worker.on('failed', (job, err) => this.logger.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'scheduled publish failed'));
    this.worker.on('error', (err) => this.logger.error({ err: err.message }, 'scheduled worker error'));
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
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
