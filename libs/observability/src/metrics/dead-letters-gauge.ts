import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DeadLetters } from '@herald/bus';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { probeWithin } from '../readiness.js';
import { HeraldMetrics } from './herald-metrics.js';

/** herald_dead_letters: entries parked by the stream consumers, read from Redis when Prometheus scrapes. */
@Injectable()
export class DeadLettersGauge implements OnModuleInit {
  constructor(
    private readonly metrics: HeraldMetrics,
    private readonly deadLetters: DeadLetters,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  onModuleInit(): void {
    const deadLetters = this.deadLetters;
    const timeoutMs = this.config.readyTimeoutMs;
    new Gauge({
      name: 'herald_dead_letters',
      help: 'Stream entries parked after failing HERALD_STREAM_MAX_ATTEMPTS times (GET /v1/admin/dead-letters)',
      registers: [this.metrics.registry],
      async collect() {
        let n = 0;
        const read = await probeWithin(async () => {
          n = await deadLetters.count();
        }, timeoutMs);
        this.reset();
        if (read.result === 'ok') this.set(n);
      },
    });
  }
}
