import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { AppLimits, RedisKeys, createRedis } from '@herald/bus';
import { WEBHOOK_BACKOFF, WEBHOOK_QUEUE, webhookBackoff, type WebhookJob } from '@herald/queue';
import { WebhooksRepository } from '@herald/db';
import { WebhookDirectory, WebhookSender } from '@herald/webhooks';

/** A failed attempt: BullMQ retries it after the webhook backoff. */
class DeliveryFailed extends Error {}

/**
 * Sends webhook deliveries: one signed POST per job, every attempt logged in Postgres (status, latency,
 * response code, error); a non-2xx answer or a timeout is a failure, retried with exponential backoff and
 * jitter until HERALD_WEBHOOK_RETRY_PERIOD_MS is covered, then the delivery is marked failed (replayable).
 * The job carries the body, so an attempt costs one database statement (its log entry); the dispatcher
 * never enqueues a delivery already delivered, so a re-dispatched batch does not send it twice.
 */
@Injectable()
export class WebhookDeliveryProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: Worker<WebhookJob>;
  private connection?: Redis;
  private sender?: WebhookSender;
  private flushTimer?: NodeJS.Timeout;
  private readonly attempts = new Map<string, number>();
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
    private readonly repo: WebhooksRepository,
    private readonly directory: WebhookDirectory,
    private readonly limits: AppLimits,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'webhooks' });
  }

  onApplicationBootstrap(): void {
    const w = this.config.worker;
    const policy = this.config.webhooks;
    this.sender = new WebhookSender({ timeoutMs: policy.timeoutMs, allowPrivate: policy.allowPrivate });
    this.connection = createRedis(this.config, 'bullmq', 'webhook-worker');
    this.worker = new Worker<WebhookJob>(WEBHOOK_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.keys.bullPrefix,
      concurrency: policy.concurrency,
      // A job may take the whole HTTP timeout: its lock must outlast it.
      lockDuration: Math.max(w.lockMs, policy.timeoutMs * 2),
      stalledInterval: w.stalledIntervalMs,
      maxStalledCount: 10,
      settings: { backoffStrategy: (attemptsMade: number, type?: string) => (type === WEBHOOK_BACKOFF ? webhookBackoff(policy, attemptsMade) : policy.backoffMs) },
    });
    this.worker.on('error', (err) => this.logger.error({ err: err.message }, 'webhook worker error'));
    this.flushTimer = setInterval(() => void this.flushAttempts(), 1000);
    this.flushTimer.unref();
  }

  async process(job: Job<WebhookJob>): Promise<{ status: string }> {
    const { appId, webhookId, deliveryId, body } = job.data;
    const hook = await this.directory.get(appId, webhookId);
    if (!hook) return { status: 'skipped' }; // deleted or disabled meanwhile
    const attempt = job.attemptsMade + 1;
    const at = new Date();
    const r = await this.sender!.send(hook.url, hook.secret, body, { 'x-herald-delivery': deliveryId, 'x-herald-attempt': String(attempt) }, at.getTime());
    const last = attempt >= (job.opts.attempts ?? 1);
    const status = r.ok ? 'delivered' : last ? 'failed' : 'pending';
    await this.repo.recordAttempt({ deliveryId, appId, at, ok: r.ok, statusCode: r.statusCode, latencyMs: r.latencyMs, error: r.error, status });
    this.attempts.set(appId, (this.attempts.get(appId) ?? 0) + 1);
    if (!r.ok) throw new DeliveryFailed(r.error ?? 'failed');
    return { status };
  }

  private async flushAttempts(): Promise<void> {
    if (this.attempts.size === 0) return;
    const counts = new Map(this.attempts);
    this.attempts.clear();
    await this.limits.countWebhookAttempts(counts).catch((e: Error) => this.logger.warn({ err: e.message }, 'webhook usage flush failed'));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.worker?.close();
    await this.flushAttempts();
    this.sender?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
