import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import type { Queue } from 'bullmq';
import { CONFIG, type HeraldConfig, type Logger } from '@herald/config';
import { PUBLISH_QUEUE, type PublishJob } from '@herald/queue';
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
    @Inject(PUBLISH_QUEUE) private readonly queue: Queue<PublishJob>,
    @Inject(CONFIG) private readonly config: HeraldConfig,
    @Inject(OBSERVABILITY_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const queue = this.queue;
    const timeoutMs = this.config.readyTimeoutMs;
    const logger = this.logger;
    new Gauge({
      name: 'herald_queue_depth',
      help: 'Jobs in the BullMQ queue, by state',
      labelNames: ['queue', 'state'],
      registers: [this.metrics.registry],
      async collect() {
        let counts: Record<string, number> = {};
        const read = await probeWithin(async () => {
          counts = await queue.getJobCounts(...QUEUE_STATES);
        }, timeoutMs);
        this.reset();
        if (read.result !== 'ok') {
          logger.debug({ result: read.result, err: read.error }, 'queue depth unavailable');
          return;
        }
        for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      },
    });
  }
}
