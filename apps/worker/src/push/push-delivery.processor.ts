import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { AppLimits, REDIS, RedisKeys, type RedisClient } from '@herald/bus';
import { PUSH_BACKOFF, PUSH_QUEUE, QueueShards, ShardedWorker, pushBackoff, type PushDeliveryJob } from '@herald/queue';
import { PushRepository, type PushCounters, type PushDeliveryStatus, type PushMessageRecord } from '@herald/db';
import { DeliveryGate } from '@herald/webhooks';
import { PushKeys, WebPushProvider, verdictOf, type PushProvider, type PushResult } from '@herald/push';
import type { PushUrgency } from '@herald/protocol';

/** A retryable failure: BullMQ tries again after pushBackoff, honouring the service's Retry-After. */
class PushRetry extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const MAX_CACHED_MESSAGES = 1000;

/**
 * Sends push deliveries: one request to the subscription's push service per job, every attempt in the
 * delivery log (status code, outcome, latency). 2xx: delivered. 404/410: the subscription is gone —
 * removed, counted expired, never retried. 408/429/5xx and no answer: retried with exponential backoff
 * (HERALD_PUSH_BACKOFF_MS…MAX_BACKOFF_MS, at least the service's Retry-After) up to HERALD_PUSH_ATTEMPTS,
 * then failed. Any other answer (400, 401/403 VAPID refused, 413): failed at once.
 *
 * Fair share (DeliveryGate, shared by every worker through Redis): an app has at most
 * HERALD_PUSH_APP_CONCURRENCY requests in flight, and a push service origin failing
 * HERALD_PUSH_CIRCUIT_FAILURES times in a row is left alone for HERALD_PUSH_CIRCUIT_COOLDOWN_MS (its
 * deliveries wait, without using an attempt). Delivered pushes count as deliveries in the app's usage
 * and daily quota, as a message written to a connection does.
 */
@Injectable()
export class PushDeliveryProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: ShardedWorker<PushDeliveryJob>;
  private provider?: PushProvider;
  private gate?: DeliveryGate;
  private flushTimer?: NodeJS.Timeout;
  private readonly messages = new Map<string, PushMessageRecord>();
  private counters = new Map<string, PushCounters>();
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
    private readonly shards: QueueShards,
    private readonly repo: PushRepository,
    private readonly vapid: PushKeys,
    private readonly limits: AppLimits,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'push' });
  }

  onApplicationBootstrap(): void {
    const p = this.config.push;
    this.provider = new WebPushProvider({ timeoutMs: p.timeoutMs, allowPrivate: this.config.webhooks.allowPrivate });
    // A slot outlives the request's hard timeout and the attempt's log entry; a killed worker's lapse after it.
    this.gate = new DeliveryGate(
      this.redis,
      { slots: (a) => this.keys.pushSlots(a), circuit: (a, origin) => this.keys.pushCircuit(a, origin) },
      { appConcurrency: p.appConcurrency, slotLeaseMs: p.timeoutMs * 2 + 5_000, deferMs: p.deferMs, circuitFailures: p.circuitFailures, circuitCooldownMs: p.circuitCooldownMs },
    );
    // Every queue of the kind (QueueShards), one pool of HERALD_PUSH_CONCURRENCY for them all.
    this.worker = new ShardedWorker<PushDeliveryJob>(this.config, this.shards, {
      queue: PUSH_QUEUE,
      name: 'push-worker',
      processor: (job, token) => this.process(job, token),
      concurrency: p.concurrency,
      logger: this.logger,
      worker: {
        lockDuration: Math.max(this.config.worker.lockMs, p.timeoutMs * 2),
        stalledInterval: this.config.worker.stalledIntervalMs,
        maxStalledCount: 10,
        settings: {
          backoffStrategy: (attemptsMade: number, type?: string, err?: Error) =>
            pushBackoff(p, attemptsMade, type === PUSH_BACKOFF && err instanceof PushRetry ? err.retryAfterMs : undefined),
        },
      },
    });
    this.worker.start();
    this.flushTimer = setInterval(() => void this.flush(), 1000);
    this.flushTimer.unref();
  }

  async process(job: Job<PushDeliveryJob>, token?: string): Promise<{ status: string }> {
    const { appId, deliveryId } = job.data;
    const target = await this.repo.deliveryTarget(appId, deliveryId);
    if (!target || target.status !== 'pending') return { status: 'skipped' }; // done already, or its app is gone
    const m = await this.message(appId, target.pushMessageId);
    if (!target.subscription || !m) {
      await this.repo.settle(appId, deliveryId, 'dropped');
      return { status: 'dropped' };
    }
    const origin = new URL(target.subscription.endpoint).origin;
    const slot = `${job.id}`;
    const gate = await this.gate!.enter(appId, origin, slot);
    if (!gate.go) {
      // A push older than its TTL is worth nothing: one kept waiting that long by an open circuit fails.
      if (gate.why === 'circuit' && Date.now() >= job.timestamp + m.ttl * 1000) {
        await this.repo.recordAttempt({ ...this.logEntry(appId, deliveryId, target.subscriptionId, m, origin), statusCode: null, outcome: 'failed', latencyMs: 0, error: "not sent: the push service's circuit stayed open past the TTL", status: 'failed' });
        this.count(appId, 'failed');
        return { status: 'failed' };
      }
      await job.moveToDelayed(gate.retryAt + Math.round(Math.random() * this.config.push.deferMs), token);
      throw new DelayedError();
    }
    const at = Date.now();
    let r: PushResult;
    try {
      const vapid = await this.vapid.keys(appId);
      r = await this.provider!.send(target.subscription, { payload: m.payload, ttl: m.ttl, urgency: m.urgency as PushUrgency, topic: m.topic ?? undefined }, { vapid, subject: this.config.push.subject });
    } catch (e) {
      r = { statusCode: null, latencyMs: 0, error: (e as Error).message }; // the slot must be freed whatever happens
    }
    const verdict = verdictOf(r);
    // Only the service's own trouble counts toward its circuit: a gone subscription is the subscriber's.
    const change = await this.gate!.leave(appId, origin, slot, verdict !== 'retry');
    if (change) this.logger.info({ appId, origin, circuit: change }, `push service circuit ${change}`);
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const outcome = verdict === 'retry' && last ? 'failed' : verdict;
    const status: PushDeliveryStatus = outcome === 'retry' ? 'pending' : outcome;
    if (outcome === 'expired') await this.repo.deleteById(appId, target.subscriptionId);
    await this.repo.recordAttempt({ ...this.logEntry(appId, deliveryId, target.subscriptionId, m, origin, at), statusCode: r.statusCode, outcome, latencyMs: r.latencyMs, error: r.error, status });
    if (outcome !== 'retry') this.count(appId, outcome);
    if (outcome === 'retry') throw new PushRetry(r.error ?? 'failed', r.retryAfterMs);
    if (outcome === 'failed' && verdict === 'failed') throw new UnrecoverableError(r.error ?? 'refused');
    return { status: outcome };
  }

  private logEntry(appId: string, deliveryId: string, subscriptionId: string, m: PushMessageRecord, origin: string, at = Date.now()) {
    return { appId, deliveryId, subscriptionId, channel: m.channel, messageId: m.messageId, origin, at: new Date(at) };
  }

  private async message(appId: string, id: string): Promise<PushMessageRecord | undefined> {
    const hit = this.messages.get(id);
    if (hit) return hit;
    const m = await this.repo.message(appId, id);
    if (!m) return undefined;
    if (this.messages.size >= MAX_CACHED_MESSAGES) this.messages.clear();
    this.messages.set(id, m);
    return m;
  }

  private count(appId: string, outcome: 'delivered' | 'expired' | 'failed'): void {
    let c = this.counters.get(appId);
    if (!c) this.counters.set(appId, (c = { sent: 0, delivered: 0, expired: 0, failed: 0 }));
    c[outcome]++;
  }

  /** Counters and usage once a second (one statement per app, not one per delivery). */
  private async flush(): Promise<void> {
    if (this.counters.size === 0) return;
    const counters = this.counters;
    this.counters = new Map();
    const delivered = new Map([...counters].filter(([, c]) => c.delivered > 0).map(([appId, c]) => [appId, c.delivered]));
    await Promise.all([
      this.repo.addCounters(counters).catch((e: Error) => this.logger.warn({ err: e.message }, 'push counters flush failed')),
      this.limits.chargeDeliveries(delivered).catch((e: Error) => this.logger.warn({ err: e.message }, 'push usage flush failed')),
    ]);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.worker?.close();
    await this.flush();
    this.provider?.close();
  }
}
