import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { AppLimits, REDIS, RedisKeys, type RedisClient } from '@herald/bus';
import { QueueShards, ShardedWorker, WEBHOOK_BACKOFF, WEBHOOK_QUEUE, webhookBackoff, type WebhookJob } from '@herald/queue';
import { WebhooksRepository } from '@herald/db';
import { DeliveryGate, PusherWebhookHold, PusherWebhookSigner, WebhookDirectory, WebhookSender, type SendResult } from '@herald/webhooks';

/** A failed attempt: BullMQ retries it after the webhook backoff. */
class DeliveryFailed extends Error {}

/**
 * Sends webhook deliveries: one signed POST per job, every attempt logged in Postgres (status, latency,
 * response code, error); a non-2xx answer or a timeout is a failure, retried with exponential backoff and
 * jitter until HERALD_WEBHOOK_RETRY_PERIOD_MS is covered, then the delivery is marked failed (replayable).
 * The job carries the body, so an attempt costs one database statement (its log entry); the dispatcher
 * never enqueues a delivery already delivered, so a re-dispatched batch does not send it twice.
 *
 * Fair share (DeliveryGate, shared by every worker through Redis): an app has at most
 * HERALD_WEBHOOK_APP_CONCURRENCY deliveries in flight, so endpoints that hang hold that many of the pool's
 * slots, never all of them; an endpoint failing HERALD_WEBHOOK_CIRCUIT_FAILURES times in a row is not sent to
 * for HERALD_WEBHOOK_CIRCUIT_COOLDOWN_MS. A delivery that must wait goes back to the delayed set without
 * using an attempt; one kept waiting by an open circuit past the retry period is marked failed (replayable).
 */
@Injectable()
export class WebhookDeliveryProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: ShardedWorker<WebhookJob>;
  private sender?: WebhookSender;
  private gate?: DeliveryGate;
  private flushTimer?: NodeJS.Timeout;
  private readonly attempts = new Map<string, number>();
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
    private readonly shards: QueueShards,
    private readonly repo: WebhooksRepository,
    private readonly directory: WebhookDirectory,
    private readonly pusherSigner: PusherWebhookSigner,
    private readonly pusherHold: PusherWebhookHold,
    private readonly limits: AppLimits,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'webhooks' });
  }

  onApplicationBootstrap(): void {
    const w = this.config.worker;
    const policy = this.config.webhooks;
    this.sender = new WebhookSender({ timeoutMs: policy.timeoutMs, allowPrivate: policy.allowPrivate });
    // A slot outlives the send's hard timeout and the attempt's log entry; a killed worker's lapse after it.
    this.gate = new DeliveryGate(this.redis, this.keys, { ...policy, slotLeaseMs: policy.timeoutMs * 2 + 5_000 });
    // Every queue of the kind (QueueShards), one pool of HERALD_WEBHOOK_CONCURRENCY for them all.
    this.worker = new ShardedWorker<WebhookJob>(this.config, this.shards, {
      queue: WEBHOOK_QUEUE,
      name: 'webhook-worker',
      processor: (job, token) => this.process(job, token),
      concurrency: policy.concurrency,
      logger: this.logger,
      worker: {
        // A job may take the whole HTTP timeout: its lock must outlast it.
        lockDuration: Math.max(w.lockMs, policy.timeoutMs * 2),
        stalledInterval: w.stalledIntervalMs,
        maxStalledCount: 10,
        settings: { backoffStrategy: (attemptsMade: number, type?: string) => (type === WEBHOOK_BACKOFF ? webhookBackoff(policy, attemptsMade) : policy.backoffMs) },
      },
    });
    this.worker.start();
    this.flushTimer = setInterval(() => void this.flushAttempts(), 1000);
    this.flushTimer.unref();
  }

  async process(job: Job<WebhookJob>, token?: string): Promise<{ status: string }> {
    const { appId, webhookId, deliveryId, body } = job.data;
    const hook = await this.directory.get(appId, webhookId);
    if (!hook) return { status: 'skipped' }; // deleted or disabled meanwhile
    const policy = this.config.webhooks;
    const slot = `${job.id}`;
    const gate = await this.gate!.enter(appId, webhookId, slot);
    if (!gate.go) {
      // Bounded like any failing delivery: once the retry period is over, parked as failed (replayable).
      const deadline = job.timestamp + policy.retryPeriodMs;
      if (gate.why === 'circuit' && Date.now() >= deadline) {
        await this.record(job, { ok: false, statusCode: null, latencyMs: 0, error: "not sent: the endpoint's circuit is open (it kept failing)" }, true, new Date(), false);
        return { status: 'failed' };
      }
      const until = gate.why === 'circuit' ? Math.min(gate.retryAt, deadline) : gate.retryAt;
      await job.moveToDelayed(until + Math.round(Math.random() * policy.deferMs), token);
      throw new DelayedError();
    }
    const attempt = job.attemptsMade + 1;
    const at = Date.now();
    let r: SendResult | undefined;
    try {
      // A held Pusher-format delivery (delayed) is checked once, on its first send; replays send it as made.
      const sending = hook.format === 'pusher' && job.opts.delay && attempt === 1 ? await this.pusherHold.stillDue(appId, body) : body;
      if (sending !== undefined) {
        const pusher = hook.format === 'pusher' ? await this.pusherSigner.headers(appId, sending, at) : {};
        r = await this.sender!.send(hook.url, hook.secret, sending, { 'x-herald-delivery': deliveryId, 'x-herald-attempt': String(attempt), ...pusher }, at);
      }
    } catch (e) {
      r = { ok: false, statusCode: null, latencyMs: 0, error: (e as Error).message }; // the slot must be freed whatever happens
    }
    if (r === undefined) {
      await this.gate!.leave(appId, webhookId, slot, true);
      await this.record(job, { ok: true, statusCode: null, latencyMs: 0, error: 'not sent: every event was undone during the hold (channel occupied again, member back)' }, true, new Date(at), false);
      return { status: 'dropped' };
    }
    const change = await this.gate!.leave(appId, webhookId, slot, r.ok);
    if (change) this.logger.info({ appId, webhookId, circuit: change, probe: gate.probe }, `webhook endpoint circuit ${change}`);
    const last = attempt >= (job.opts.attempts ?? 1);
    await this.record(job, r, last, new Date(at));
    if (!r.ok) throw new DeliveryFailed(r.error ?? 'failed');
    return { status: 'delivered' };
  }

  private async record(job: Job<WebhookJob>, r: SendResult, last: boolean, at: Date, sent = true): Promise<void> {
    const { appId, deliveryId } = job.data;
    const status = r.ok ? 'delivered' : last ? 'failed' : 'pending';
    await this.repo.recordAttempt({ deliveryId, appId, at, ok: r.ok, statusCode: r.statusCode, latencyMs: r.latencyMs, error: r.error, status });
    if (sent) this.attempts.set(appId, (this.attempts.get(appId) ?? 0) + 1);
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
  }
}
