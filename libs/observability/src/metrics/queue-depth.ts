import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { CONFIG, type HeraldConfig, type Logger } from '@herald/config';
import { PUSH_FANOUT_QUEUE, PUSH_QUEUE, QUEUE_STATES, SCHEDULED_QUEUE, WEBHOOK_QUEUE, type ShardedQueue } from '@herald/queue';
import { probeWithin } from '../readiness.js';
import { OBSERVABILITY_LOGGER } from '../observability-logger.js';
import { HeraldMetrics } from './herald-metrics.js';

type AnyQueues = ShardedQueue<{ appId: string }>;

/**
 * herald_queue_depth{queue,state}, read from BullMQ when Prometheus scrapes (no timer, no stale values):
 * one series per kind of work, summed over its HERALD_QUEUE_SHARDS queues (and what the previous version
 * left in its single queue). The read has the readiness timeout: while Redis is away the series are
 * absent instead of the scrape hanging.
 */
@Injectable()
export class QueueDepthCollector implements OnModuleInit {
  constructor(
    private readonly metrics: HeraldMetrics,
    @Inject(SCHEDULED_QUEUE) private readonly scheduled: AnyQueues,
    @Inject(WEBHOOK_QUEUE) private readonly webhooks: AnyQueues,
    @Inject(PUSH_FANOUT_QUEUE) private readonly pushFanouts: AnyQueues,
    @Inject(PUSH_QUEUE) private readonly pushes: AnyQueues,
    @Inject(CONFIG) private readonly config: HeraldConfig,
    @Inject(OBSERVABILITY_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const kinds = [this.scheduled, this.webhooks, this.pushFanouts, this.pushes];
    const timeoutMs = this.config.readyTimeoutMs;
    const logger = this.logger;
    new Gauge({
      name: 'herald_queue_depth',
      help: 'Jobs in the BullMQ queues of one kind of work (summed over its queues), by state',
      labelNames: ['queue', 'state'],
      registers: [this.metrics.registry],
      async collect() {
        let counts: Array<Record<string, number>> = [];
        const read = await probeWithin(async () => {
          counts = await Promise.all(kinds.map((q) => q.counts()));
        }, timeoutMs);
        this.reset();
        if (read.result !== 'ok') {
          logger.debug({ result: read.result, err: read.error }, 'queue depth unavailable');
          return;
        }
        kinds.forEach((kind, i) => {
          for (const state of QUEUE_STATES) this.set({ queue: kind.name, state }, counts[i][state] ?? 0);
        });
      },
    });
  }
}
