import { Module } from '@nestjs/common';
import { ConfigModule } from '@herald/config';
import { DbModule } from '@herald/db';
import { BusModule } from '@herald/bus';
import { QueueModule } from '@herald/queue';
import { HealthModule, MetricsModule } from '@herald/observability';
import { PublishProcessor } from './publish/publish.processor.js';
import { PendingSweeper } from './publish/pending-sweeper.js';
import { ArchiveConsumer } from './archive/archive.consumer.js';
import { PresenceSweeper } from './presence/presence-sweeper.js';

@Module({
  // QueueModule: the publish queue's handle, read for herald_queue_depth (the worker itself consumes via its own Worker).
  imports: [
    ConfigModule,
    DbModule,
    BusModule,
    QueueModule,
    HealthModule.forRoot({ app: 'worker' }),
    MetricsModule.forRoot({ app: 'worker', queueDepth: true }),
  ],
  providers: [PublishProcessor, PendingSweeper, ArchiveConsumer, PresenceSweeper],
})
export class WorkerModule {}
