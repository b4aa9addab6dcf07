import { Module } from '@nestjs/common';
import { ConfigModule } from '@herald/config';
import { DbModule } from '@herald/db';
import { BusModule } from '@herald/bus';
import { QueueModule } from '@herald/queue';
import { PublishingModule } from '@herald/publishing';
import { WebhooksModule } from '@herald/webhooks';
import { PushModule } from '@herald/push';
import { HealthModule, MetricsModule } from '@herald/observability';
import { LegacyDrain } from './upgrade/legacy-drain.js';
import { Maintenance } from './maintenance/maintenance.js';
import { ArchiveConsumer } from './archive/archive.consumer.js';
import { PresenceSweeper } from './presence/presence-sweeper.js';
import { OccupancySweeper } from './presence/occupancy-sweeper.js';
import { ScheduledProcessor } from './scheduled/scheduled.processor.js';
import { EventsConsumer } from './webhooks/events.consumer.js';
import { WebhookDeliveryProcessor } from './webhooks/webhook-delivery.processor.js';
import { UsageRollup } from './usage/usage-rollup.js';
import { RetentionJob } from './retention/retention.job.js';
import { PushFanoutProcessor } from './push/push-fanout.processor.js';
import { PushDeliveryProcessor } from './push/push-delivery.processor.js';

@Module({
  // QueueModule: the queues' producer handles (queue depth metrics, webhook jobs); the worker consumes
  // each queue through its own Worker. Publishing: scheduled messages are published at their time.
  imports: [
    ConfigModule,
    DbModule,
    BusModule,
    QueueModule,
    PublishingModule,
    WebhooksModule,
    PushModule,
    HealthModule.forRoot({ app: 'worker' }),
    MetricsModule.forRoot({ app: 'worker', queueDepth: true }),
  ],
  providers: [
    Maintenance,
    LegacyDrain,
    ArchiveConsumer,
    PresenceSweeper,
    OccupancySweeper,
    ScheduledProcessor,
    EventsConsumer,
    WebhookDeliveryProcessor,
    UsageRollup,
    RetentionJob,
    PushFanoutProcessor,
    PushDeliveryProcessor,
  ],
})
export class WorkerModule {}
