import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { observabilityProviders, OBSERVED_APP, type AppName } from '../observability-logger.js';
import { HeraldMetrics } from './herald-metrics.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { QueueDepthCollector } from './queue-depth.js';
import { DeadLettersGauge } from './dead-letters-gauge.js';

export interface MetricsOptions {
  app: AppName;
  /** Export herald_queue_depth of the work queues (needs QueueModule) and herald_dead_letters. */
  queueDepth?: boolean;
}

/**
 * GET /metrics and the process's metric handles. Global, so libraries used by an app (and the lead's
 * gateway internals) inject GatewayMetrics without importing this module again.
 */
@Module({})
export class MetricsModule {
  static forRoot(opts: MetricsOptions): DynamicModule {
    const providers: Provider[] = [
      ...observabilityProviders(opts.app),
      { provide: HeraldMetrics, inject: [OBSERVED_APP], useFactory: (app: AppName) => new HeraldMetrics(app) },
      GatewayMetrics,
    ];
    if (opts.queueDepth) providers.push(QueueDepthCollector, DeadLettersGauge);
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers,
      exports: [HeraldMetrics, GatewayMetrics],
    };
  }
}
