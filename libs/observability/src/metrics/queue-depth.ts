import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import type { Queue } from 'bullmq';
import { CONFIG, type HeraldConfig, type Logger } from '@herald/config';
import { PUSH_FANOUT_QUEUE, PUSH_QUEUE, SCHEDULED_QUEUE, WEBHOOK_QUEUE } from '@herald/queue';
import { probeWithin } from '../readiness.js';
import { OBSERVABILITY_LOGGER } from '../observability-logger.js';
import { HeraldMetrics } from './herald-metrics.js';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * herald_queue_depth{queue,state}, read from BullMQ when Prometheus scrapes (no timer, no stale values).
 * The read has the readiness timeout: while Redis is away the series are absent instead of the scrape hanging.
 */
@Injectable()
export class QueueDepthCollector implements OnModuleInit {
  constructor(
    private readonly metrics: HeraldMetrics,
    @Inject(SCHEDULED_QUEUE) private readonly scheduled: Queue,
    @Inject(WEBHOOK_QUEUE) private readonly webhooks: Queue,
    @Inject(PUSH_FANOUT_QUEUE) private readonly pushFanouts: Queue,
    @Inject(PUSH_QUEUE) private readonly pushes: Queue,
    @Inject(CONFIG) private readonly config: HeraldConfig,
    @Inject(OBSERVABILITY_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const queues = [this.scheduled, this.webhooks, this.pushFanouts, this.pushes];
    const timeoutMs = this.config.readyTimeoutMs;
    const logger = this.logger;
    new Gauge({
      name: 'herald_queue_depth',
      help: 'Jobs in the BullMQ queue, by state',
      labelNames: ['queue', 'state'],
      registers: [this.metrics.registry],
      async collect() {
        let counts: Array<Record<string, number>> = [];
        const read = await probeWithin(async () => {
          counts = await Promise.all(queues.map((q) => q.getJobCounts(...QUEUE_STATES)));
        }, timeoutMs);
        this.reset();
        if (read.result !== 'ok') {
          logger.debug({ result: read.result, err: read.error }, 'queue depth unavailable');
          return;
        }
        queues.forEach((queue, i) => {
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[i][state] ?? 0);
        });
      },
    });
  }
}
