import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { prometheusContentType } from 'prom-client';
import { HeraldMetrics } from './herald-metrics.js';

/** Prometheus scrape endpoint. Not in the OpenAPI document: it is for the monitoring system, not clients. */
@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: HeraldMetrics) {}

  @Get('metrics')
  @Header('Content-Type', prometheusContentType)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
